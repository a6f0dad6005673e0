"""The trend documents in MongoDB: publishing them and the per-keyword index of where they are.
Plain pymongo on FerretDB 1.24 and MongoDB alike; used by the Dagster layer and the dashboard."""
