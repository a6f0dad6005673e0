"""Pure text and statistics code: tokenisation, related-word scoring, spikes, sentiment.

No servers and no Spark here; the Spark analytics call these functions from mapPartitions and
pandas UDFs, so everything is picklable by reference and keeps per-process lazy singletons.
"""
