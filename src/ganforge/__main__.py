"""``python -m ganforge``: the command line, as torchrun's ``-m ganforge`` starts it."""

from ganforge.cli import main

if __name__ == "__main__":
    main()
