"""confluent-kafka-python (Debian's python3-confluent-kafka, on the system librdkafka) driven by
the integration tests.

Usage: /usr/bin/python3 confluent_kafka_client.py '<json request>'
Prints one JSON document on stdout: what the client saw. Errors propagate (non-zero exit).
Requests ("op"):
  admin    {bootstrap, topic}                                  -> create / list / describe / alter / grow / delete
  produce  {bootstrap, topic, records, acks, compression, idempotence, partition}
  consume  {bootstrap, topic, partition, offset, count}        offset: int | "earliest" | "latest"
  offsets  {bootstrap, topic, partition, timestamp}            -> watermarks, offset for timestamp
A record is {key, value, headers: [[k, v]...], timestamp}; keys/values are text or null.
"""
import json
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, OFFSET_END, Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic


def enc(s):
    return None if s is None else s.encode('utf-8')


def dec(b):
    return None if b is None else b.decode('utf-8', 'backslashreplace')


def wait_all(futures):
    return {k: f.result(timeout=30) for k, f in futures.items()}


def describe(admin, topic):
    res = ConfigResource(ConfigResource.Type.TOPIC, topic)
    return {name: entry.value for name, entry in wait_all(admin.describe_configs([res]))[res].items()}


def admin_ops(req):
    topic = req['topic']
    admin = AdminClient({'bootstrap.servers': req['bootstrap']})
    out = {}
    wait_all(admin.create_topics([NewTopic(topic, 3, 1, config={'retention.ms': '3600000'})]))
    try:
        wait_all(admin.create_topics([NewTopic(topic, 3, 1)]))
        out['duplicate_create'] = 'accepted'
    except KafkaException as e:
        out['duplicate_create'] = e.args[0].name()
    md = admin.list_topics(timeout=10)
    out['brokers'] = sorted([b.id, b.host, b.port] for b in md.brokers.values())
    out['controller'] = md.controller_id
    out['partitions'] = sorted([p.id, p.leader, p.replicas, p.isrs] for p in md.topics[topic].partitions.values())
    configs = describe(admin, topic)
    out['retention.ms'] = configs.get('retention.ms')
    out['cleanup.policy'] = configs.get('cleanup.policy')
    res = ConfigResource(ConfigResource.Type.TOPIC, topic, set_config={'retention.ms': '7200000'})
    wait_all(admin.alter_configs([res]))
    out['retention.ms.altered'] = describe(admin, topic).get('retention.ms')
    wait_all(admin.create_partitions([NewPartitions(topic, 5)]))
    out['partitions_after_grow'] = len(admin.list_topics(topic=topic, timeout=10).topics[topic].partitions)
    wait_all(admin.delete_topics([topic]))
    out['listed_after_delete'] = topic in admin.list_topics(timeout=10).topics
    return out


def produce(req):
    conf = {'bootstrap.servers': req['bootstrap'], 'acks': str(req.get('acks', 1)), 'linger.ms': 5}
    if req.get('compression'):
        conf['compression.type'] = req['compression']
    if req.get('idempotence'):
        conf['enable.idempotence'] = True
    producer = Producer(conf)
    acked = []
    errors = []

    def on_delivery(err, msg):
        if err is not None:
            errors.append(str(err))
        else:
            acked.append({'partition': msg.partition(), 'offset': msg.offset(), 'timestamp': msg.timestamp()[1]})

    for r in req['records']:
        kwargs = {'key': enc(r.get('key')), 'value': enc(r.get('value')), 'partition': req.get('partition', 0),
                  'on_delivery': on_delivery}
        if r.get('headers') is not None:
            kwargs['headers'] = [(k, enc(v)) for k, v in r['headers']]
        if r.get('timestamp') is not None:
            kwargs['timestamp'] = r['timestamp']
        producer.produce(req['topic'], **kwargs)
    remaining = producer.flush(30)
    if remaining or errors:
        raise RuntimeError('undelivered: %d, errors: %s' % (remaining, errors))
    return {'acked': acked}


def consumer_for(req):
    # No subscribe(), so no group protocol runs; librdkafka's Consumer still requires a group.id.
    return Consumer({'bootstrap.servers': req['bootstrap'], 'group.id': 'unused-assign-only',
                     'enable.auto.commit': False, 'fetch.wait.max.ms': 50})


def consume(req):
    consumer = consumer_for(req)
    offset = req.get('offset', 'earliest')
    start = {'earliest': OFFSET_BEGINNING, 'latest': OFFSET_END}.get(offset, offset)
    consumer.assign([TopicPartition(req['topic'], req.get('partition', 0), start)])
    records = []
    deadline = time.time() + 15
    while len(records) < req['count'] and time.time() < deadline:
        m = consumer.poll(0.2)
        if m is None:
            continue
        if m.error() is not None:
            raise KafkaException(m.error())
        records.append({'offset': m.offset(), 'key': dec(m.key()), 'value': dec(m.value()),
                        'headers': [[k, dec(v)] for k, v in (m.headers() or [])],
                        'timestamp': m.timestamp()[1], 'timestamp_type': m.timestamp()[0]})
    consumer.close()
    return {'records': records}


def offsets(req):
    consumer = consumer_for(req)
    tp = TopicPartition(req['topic'], req.get('partition', 0))
    low, high = consumer.get_watermark_offsets(tp, timeout=10)
    found = consumer.offsets_for_times([TopicPartition(tp.topic, tp.partition, req['timestamp'])], timeout=10)[0]
    consumer.close()
    return {'earliest': low, 'latest': high, 'for_timestamp': found.offset}


OPS = {'admin': admin_ops, 'produce': produce, 'consume': consume, 'offsets': offsets}

if __name__ == '__main__':
    request = json.loads(sys.argv[1])
    print(json.dumps(OPS[request['op']](request)))
