"""Judges that are models: critics, classifiers, GAM battles, tournaments, inversions.

Each trains or runs a model on arrays it is handed; none loads a run itself.
"""
