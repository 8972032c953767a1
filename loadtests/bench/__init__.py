"""The benchmark harness: every stage of the pipeline next to its raw baseline, in one run.

    .venv/bin/python -m loadtests.bench --scale 100000      # or: make bench SCALE=...

Against the real local stack (Kafka, Elasticsearch, PostgreSQL on loopback). Each stage is
measured next to what its engine can do without Casetrack in the way, interleaved in the same
run (stage, raw, stage, raw, ...), and reported as the median of ``--runs`` runs, so a ratio
holds on a noisy shared machine:

1. append     commands/s through the application service (one- and five-event commands)
              vs the bare ``eventsourcing`` Application saving a trivial aggregate; SQLite
              file and PostgreSQL;
2. relay      events/s event store -> Kafka (``consumers.relay.Relay``) vs a raw kafka-python
              producer with the same acks/idempotence sending the same envelopes;
3. projection events/s Kafka -> Elasticsearch (``consumers.projector.Projector``, cases) vs a
              raw ``helpers.bulk`` of the same final documents;
4. rebuild    events/s of ``consumers.rebuild.rebuild`` of the cases index from offset 0 vs
              the raw bulk;
5. freshness  commit -> searchable p50/p99/max at 50 and 200 commands/s and upwards until
              the rate is no longer sustained (relay and projectors are real processes);
6. search     p50/p99 of find-any-result queries (``search.queries.search_request``) at rising
              request rates (open loop) until p99 passes 100 ms;
7. memory     peak RSS of the relay, the projector and an API worker; the stack's RSS.

The store is loaded through the domain code in bulk (many aggregates per ``commit``). Every
run uses its own store file, PostgreSQL schemas, topic and index prefix, removed at the end.
Prints a table and writes ``loadtests/results/latest.json``.

The package: a module per stage (``append``, ``relay``, ``projection`` with the rebuild,
``freshness``, ``search``, ``processes`` with memory), the bulk ``loader``, the ``report``
(``summary``, ``table``), the run (``run.Bench``, ``run.remove_run``) and its shared
``context``, ``config`` (paths, default servers), ``tools`` (median, percentile, wait_for, ...)
and ``__main__`` (the command line). Import a name from the module that defines it.
"""
