"""The suite runner and the evaluations around it: plans, sources, references, runs.

It turns what a user names into feature sets and runs the registered metrics on them.
"""
