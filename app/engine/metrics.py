"""Prometheus metrics for the engine and the callback receiver (served at /api/metrics)."""

from prometheus_client import Counter, Gauge, Histogram

STATUS_QUERIES = Counter("atelier_status_queries_total", "Status queries sent to Kie")
QUERY_ERRORS = Counter("atelier_status_query_errors_total", "Failed status queries", ["kind"])
SUBMISSIONS = Counter("atelier_submissions_total", "Create attempts by outcome", ["outcome"])
SUBMIT_SECONDS = Histogram("atelier_submit_seconds", "Time Kie took to accept a create")
CALLBACKS = Counter("atelier_callbacks_total", "Callbacks received by outcome", ["outcome"])
TRANSITIONS = Counter("atelier_transitions_total", "Status changes made by the engine", ["to"])
LEASE_TAKEOVERS = Counter("atelier_lease_takeovers_total", "Lapsed leases taken over")
QUEUE_DEPTH = Gauge("atelier_queue_depth", "Tasks waiting to be submitted")
