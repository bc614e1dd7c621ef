"""A kafka-python (Debian's python3-kafka) KafkaConsumer in a consumer group, driven by
test/integration/client-groups.test.ts.

Usage: /usr/bin/python3 kafka_python_group.py '<json request>'
  {bootstrap, group, topic, client_id, assignor: "range" | "roundrobin", commit: "auto" | "manual"}
Subscribes to `topic` in `group` (auto_offset_reset=earliest) and runs until SIGTERM, printing
one JSON object a line as things happen:
  {"event": "assigned", "partitions": [...]}    the consumer's whole assignment, when it changes
  {"event": "record", "partition": p, "offset": o, "value": v}
  {"event": "closed"}                           after close(): offsets committed, group left
"manual" commits synchronously after every poll that returned records; "auto" leaves it to
kafka-python's auto-commit (on its interval, before a rebalance, and on close).
"""
import json
import signal
import sys

from kafka import KafkaConsumer
from kafka.coordinator.assignors.range import RangePartitionAssignor
from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor

ASSIGNORS = {'range': RangePartitionAssignor, 'roundrobin': RoundRobinPartitionAssignor}
stopping = False


def emit(doc):
    sys.stdout.write(json.dumps(doc) + '\n')
    sys.stdout.flush()


def on_sigterm(_signum, _frame):
    global stopping
    stopping = True


def main(req):
    manual = req.get('commit', 'auto') == 'manual'
    consumer = KafkaConsumer(
        bootstrap_servers=req['bootstrap'], client_id=req['client_id'], group_id=req['group'],
        auto_offset_reset='earliest', enable_auto_commit=not manual, auto_commit_interval_ms=200,
        partition_assignment_strategy=[ASSIGNORS[req.get('assignor', 'range')]],
        session_timeout_ms=6000, heartbeat_interval_ms=300, fetch_max_wait_ms=50)
    consumer.subscribe([req['topic']])
    last = None
    while not stopping:
        batches = consumer.poll(timeout_ms=100)
        assigned = sorted(tp.partition for tp in consumer.assignment())
        if assigned != last:
            emit({'event': 'assigned', 'partitions': assigned})
            last = assigned
        for tp, messages in batches.items():
            for m in messages:
                emit({'event': 'record', 'partition': tp.partition, 'offset': m.offset, 'value': m.value.decode('utf-8')})
        if manual and batches:
            consumer.commit()
    consumer.close()
    emit({'event': 'closed'})


if __name__ == '__main__':
    signal.signal(signal.SIGTERM, on_sigterm)
    main(json.loads(sys.argv[1]))
