"""Data quality: the profile of a dataset and of each of its series."""
