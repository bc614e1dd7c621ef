"""A confluent-kafka (Debian's python3-confluent-kafka on the system librdkafka) Consumer in a
consumer group, driven by test/integration/client-groups.test.ts.

Usage: /usr/bin/python3 confluent_kafka_group.py '<json request>'
  {bootstrap, group, topic, client_id, assignor, commit: "auto" | "manual"}
`assignor` is librdkafka's partition.assignment.strategy: "range", "roundrobin" or
"cooperative-sticky" (incremental rebalancing, KIP-429). Subscribes to `topic` in `group`
(auto.offset.reset=earliest) and runs until SIGTERM, printing one JSON object a line:
  {"event": "assigned", "partitions": [...]}    the consumer's whole assignment, when it changes
  {"event": "record", "partition": p, "offset": o, "value": v}
  {"event": "closed"}                           after close(): offsets committed, group left
"manual" commits synchronously after every batch of records; "auto" leaves it to librdkafka's
auto-commit (on its interval, on revocation, and on close).
"""
import json
import signal
import sys

from confluent_kafka import Consumer, KafkaException

stopping = False


def emit(doc):
    sys.stdout.write(json.dumps(doc) + '\n')
    sys.stdout.flush()


def on_sigterm(_signum, _frame):
    global stopping
    stopping = True


def main(req):
    manual = req.get('commit', 'auto') == 'manual'
    consumer = Consumer({
        'bootstrap.servers': req['bootstrap'], 'client.id': req['client_id'], 'group.id': req['group'],
        'auto.offset.reset': 'earliest', 'enable.auto.commit': not manual, 'auto.commit.interval.ms': 200,
        'partition.assignment.strategy': req.get('assignor', 'range'),
        'session.timeout.ms': 6000, 'heartbeat.interval.ms': 300, 'fetch.wait.max.ms': 50,
    })
    consumer.subscribe([req['topic']])
    last = None
    while not stopping:
        messages = consumer.consume(num_messages=100, timeout=0.1)
        assigned = sorted(tp.partition for tp in consumer.assignment())
        if assigned != last:
            emit({'event': 'assigned', 'partitions': assigned})
            last = assigned
        for m in messages:
            if m.error() is not None:
                raise KafkaException(m.error())
            emit({'event': 'record', 'partition': m.partition(), 'offset': m.offset(), 'value': m.value().decode('utf-8')})
        if manual and messages:
            consumer.commit(asynchronous=False)
    consumer.close()
    emit({'event': 'closed'})


if __name__ == '__main__':
    signal.signal(signal.SIGTERM, on_sigterm)
    main(json.loads(sys.argv[1]))
