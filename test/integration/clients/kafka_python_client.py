"""kafka-python (Debian's python3-kafka) driven by the integration tests.

Usage: /usr/bin/python3 kafka_python_client.py '<json request>'
Prints one JSON document on stdout: what the client saw. Errors propagate (non-zero exit).
Requests ("op"):
  versions  {bootstrap}                                       -> broker version kafka-python inferred
  admin     {bootstrap, topic}                                -> create / list / describe / grow / delete
  produce   {bootstrap, topic, records, acks, compression, api_version, partition}
  consume   {bootstrap, topic, partition, offset, count, api_version}   offset: int | "earliest" | "latest"
  offsets   {bootstrap, topic, partition, timestamp}          -> earliest, latest, offset for timestamp
A record is {key, value, headers: [[k, v]...], timestamp}; keys/values are text or null.
"""
import json
import sys
import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, NewPartitions, NewTopic


def enc(s):
    return None if s is None else s.encode('utf-8')


def dec(b):
    return None if b is None else b.decode('utf-8', 'backslashreplace')


def api_version(req):
    v = req.get('api_version')
    return None if v is None else tuple(v)


def versions(req):
    admin = KafkaAdminClient(bootstrap_servers=req['bootstrap'], client_id='kp-versions')
    try:
        return {'api_version': list(admin.config['api_version'])}
    finally:
        admin.close()


def admin_ops(req):
    topic = req['topic']
    admin = KafkaAdminClient(bootstrap_servers=req['bootstrap'], client_id='kp-admin')
    out = {}
    try:
        admin.create_topics([NewTopic(topic, 3, 1, topic_configs={'retention.ms': '3600000'})])
        try:
            admin.create_topics([NewTopic(topic, 3, 1)])
            out['duplicate_create'] = 'accepted'
        except Exception as e:  # TopicAlreadyExistsError
            out['duplicate_create'] = type(e).__name__
        out['listed'] = topic in admin.list_topics()
        described = admin.describe_topics([topic])
        out['partitions'] = sorted([p['partition'], p['leader'], p['replicas'], p['isr']] for p in described[0]['partitions'])
        cluster = admin.describe_cluster()
        out['brokers'] = [[b['node_id'], b['host'], b['port']] for b in cluster['brokers']]
        out['controller'] = cluster['controller_id']
        configs = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
        entries = {e[0]: e[1] for e in configs[0].resources[0][4]}
        out['retention.ms'] = entries.get('retention.ms')
        out['cleanup.policy'] = entries.get('cleanup.policy')
        admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic, configs={'retention.ms': '7200000'})])
        configs = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
        out['retention.ms.altered'] = {e[0]: e[1] for e in configs[0].resources[0][4]}.get('retention.ms')
        admin.create_partitions({topic: NewPartitions(5)})
        out['partitions_after_grow'] = len(admin.describe_topics([topic])[0]['partitions'])
        admin.delete_topics([topic])
        out['listed_after_delete'] = topic in admin.list_topics()
    finally:
        admin.close()
    return out


def produce(req):
    kwargs = {'bootstrap_servers': req['bootstrap'], 'client_id': 'kp-producer', 'acks': req.get('acks', 1),
              'linger_ms': req.get('linger_ms', 5)}
    if req.get('compression'):
        kwargs['compression_type'] = req['compression']
    if api_version(req):
        kwargs['api_version'] = api_version(req)
    producer = KafkaProducer(**kwargs)
    futures = []
    for r in req['records']:
        extra = {}
        if r.get('headers') is not None:
            extra['headers'] = [(k, enc(v)) for k, v in r['headers']]
        if r.get('timestamp') is not None:
            extra['timestamp_ms'] = r['timestamp']
        futures.append(producer.send(req['topic'], key=enc(r.get('key')), value=enc(r.get('value')),
                                     partition=req.get('partition', 0), **extra))
    producer.flush(30)
    acked = []
    for f in futures:
        md = f.get(timeout=30)
        acked.append({'partition': md.partition, 'offset': md.offset, 'timestamp': md.timestamp})
    out = {'api_version': list(producer.config['api_version']), 'acked': acked}
    producer.close(10)
    return out


def consumer_for(req):
    kwargs = {'bootstrap_servers': req['bootstrap'], 'client_id': 'kp-consumer', 'group_id': None,
              'enable_auto_commit': False, 'fetch_max_wait_ms': 50, 'consumer_timeout_ms': 10000}
    if api_version(req):
        kwargs['api_version'] = api_version(req)
    return KafkaConsumer(**kwargs)


def consume(req):
    consumer = consumer_for(req)
    tp = TopicPartition(req['topic'], req.get('partition', 0))
    consumer.assign([tp])
    offset = req.get('offset', 'earliest')
    if offset == 'earliest':
        consumer.seek_to_beginning(tp)
    elif offset == 'latest':
        consumer.seek_to_end(tp)
    else:
        consumer.seek(tp, offset)
    records = []
    deadline = time.time() + 15
    while len(records) < req['count'] and time.time() < deadline:
        for batch in consumer.poll(timeout_ms=200).values():
            for m in batch:
                records.append({'offset': m.offset, 'key': dec(m.key), 'value': dec(m.value),
                                'headers': [[k, dec(v)] for k, v in (m.headers or [])],
                                'timestamp': m.timestamp, 'timestamp_type': m.timestamp_type})
    out = {'api_version': list(consumer.config['api_version']), 'records': records,
           'position': consumer.position(tp)}
    consumer.close()
    return out


def offsets(req):
    consumer = consumer_for(req)
    tp = TopicPartition(req['topic'], req.get('partition', 0))
    out = {'earliest': consumer.beginning_offsets([tp])[tp], 'latest': consumer.end_offsets([tp])[tp]}
    found = consumer.offsets_for_times({tp: req['timestamp']})[tp]
    out['for_timestamp'] = None if found is None else {'offset': found.offset, 'timestamp': found.timestamp}
    consumer.close()
    return out


OPS = {'versions': versions, 'admin': admin_ops, 'produce': produce, 'consume': consume, 'offsets': offsets}

if __name__ == '__main__':
    request = json.loads(sys.argv[1])
    print(json.dumps(OPS[request['op']](request)))
