"""confluent-kafka (Debian's python3-confluent-kafka on the system librdkafka) transactions,
driven by test/integration/transactions-*.test.ts.

Two ways to run it:

  /usr/bin/python3 confluent_kafka_txn.py '<json request>'      one request, one JSON answer
  /usr/bin/python3 confluent_kafka_txn.py session                a session: one JSON request a
                                                                 line on stdin, one JSON answer a
                                                                 line on stdout, so a test can hold
                                                                 a transaction open while it looks
Requests ("op"):
  init      {bootstrap, transactional_id, transaction_timeout_ms, conf} -> Producer + init_transactions()
  begin / commit / abort {timeout}                                 -> the producer's transaction calls
  produce   {topic, partition, records: [value...]}                -> produce() then flush(): sent, not committed
  send_offsets {group, offsets: [[topic, partition, offset]...]}   -> send_offsets_to_transaction(), the
                                                                      group metadata of a consumer that only
                                                                      names the group (generation -1)
  read      {bootstrap, topic, partitions, isolation}              -> every record from the start to the
                                                                      partition's end for that isolation level
  watermarks {bootstrap, topic, partition, isolation}              -> get_watermark_offsets(cached=False)
  committed {bootstrap, group, topic, partition, isolation, timeout} -> a plain consumer's committed()
  process   {bootstrap, group, instance, transactional_id, input, output, max_records}
            the exactly-once processor: runs until killed (see process() below)
A failed librdkafka call answers {"error": {"name", "code", "fatal", "retriable", "abortable", "str"}}.
"""
import json
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Producer, TopicPartition

producer = None


def emit(doc):
    sys.stdout.write(json.dumps(doc) + '\n')
    sys.stdout.flush()


def error_doc(err):
    return {'error': {'name': err.name(), 'code': err.code(), 'fatal': err.fatal(), 'retriable': err.retriable(),
                      'abortable': err.txn_requires_abort(), 'str': err.str()}}


def init(req):
    global producer
    conf = {'bootstrap.servers': req['bootstrap'], 'transactional.id': req['transactional_id'], 'linger.ms': 5}
    if req.get('transaction_timeout_ms'):
        conf['transaction.timeout.ms'] = req['transaction_timeout_ms']
    conf.update(req.get('conf', {}))
    producer = Producer(conf)
    producer.init_transactions(req.get('timeout', 30))
    return {'ok': True}


def begin(_req):
    producer.begin_transaction()
    return {'ok': True}


def commit(req):
    producer.commit_transaction(req.get('timeout', 30))
    return {'ok': True}


def abort(req):
    producer.abort_transaction(req.get('timeout', 30))
    return {'ok': True}


def produce(req):
    errors = []

    def on_delivery(err, _msg):
        if err is not None:
            errors.append(err)

    for value in req['records']:
        producer.produce(req['topic'], value=value.encode('utf-8'), partition=req.get('partition', 0), on_delivery=on_delivery)
    remaining = producer.flush(req.get('timeout', 30))
    if errors:
        raise KafkaException(errors[0])
    return {'ok': True, 'undelivered': remaining}


def plain_consumer(req, isolation, group='unused-assign-only'):
    return Consumer({'bootstrap.servers': req['bootstrap'], 'group.id': group, 'enable.auto.commit': False,
                     'isolation.level': isolation, 'fetch.wait.max.ms': 50, 'enable.partition.eof': True})


def send_offsets(req):
    consumer = plain_consumer(req, 'read_committed', req['group'])
    offsets = [TopicPartition(t, p, o) for t, p, o in req['offsets']]
    producer.send_offsets_to_transaction(offsets, consumer.consumer_group_metadata(), req.get('timeout', 30))
    consumer.close()
    return {'ok': True}


def read(req):
    """Everything from the beginning up to the end each partition has for this isolation level."""
    consumer = plain_consumer(req, req.get('isolation', 'read_committed'))
    partitions = req.get('partitions', [0])
    consumer.assign([TopicPartition(req['topic'], p, OFFSET_BEGINNING) for p in partitions])
    records = []
    at_eof = set()
    deadline = time.time() + req.get('timeout', 20)
    while len(at_eof) < len(partitions):
        if time.time() > deadline:
            raise RuntimeError('read %s: partitions %s never reached their end' % (req['topic'], sorted(set(partitions) - at_eof)))
        m = consumer.poll(0.2)
        if m is None:
            continue
        if m.error() is not None:
            if m.error().code() == KafkaError._PARTITION_EOF:
                at_eof.add(m.partition())
                continue
            raise KafkaException(m.error())
        at_eof.discard(m.partition())
        records.append({'partition': m.partition(), 'offset': m.offset(), 'value': m.value().decode('utf-8')})
    positions = {str(tp.partition): tp.offset for tp in consumer.position(consumer.assignment())}
    consumer.close()
    return {'records': records, 'positions': positions}


def watermarks(req):
    consumer = plain_consumer(req, req.get('isolation', 'read_committed'))
    low, high = consumer.get_watermark_offsets(TopicPartition(req['topic'], req.get('partition', 0)), timeout=10, cached=False)
    consumer.close()
    return {'low': low, 'high': high}


def committed(req):
    consumer = plain_consumer(req, req.get('isolation', 'read_uncommitted'), req['group'])
    try:
        tp = consumer.committed([TopicPartition(req['topic'], req.get('partition', 0))], timeout=req.get('timeout', 10))[0]
        return {'offset': tp.offset}
    finally:
        consumer.close()


def process(req):
    """Exactly-once consume-transform-produce: `input` (a group member with a static
    group.instance.id, read_committed) → `output` as "<partition>:<offset>:<value>", one
    transaction per poll of at most `max_records`, the consumed positions committed with it.
    Prints a line at every step so the test can SIGKILL it at a chosen one; runs until killed."""
    global producer
    init(req)
    consumer = Consumer({'bootstrap.servers': req['bootstrap'], 'group.id': req['group'], 'group.instance.id': req['instance'],
                         'isolation.level': 'read_committed', 'enable.auto.commit': False, 'auto.offset.reset': 'earliest',
                         'session.timeout.ms': 30000, 'heartbeat.interval.ms': 500, 'fetch.wait.max.ms': 50})
    consumer.subscribe([req['input']])
    emit({'step': 'started'})
    idle = False
    while True:
        messages = consumer.consume(num_messages=req.get('max_records', 50), timeout=0.1)
        messages = [m for m in messages if m.error() is None or m.error().code() != KafkaError._PARTITION_EOF]
        if not messages:
            if not idle:
                emit({'step': 'idle'})
            idle = True
            continue
        idle = False
        for m in messages:
            if m.error() is not None:
                raise KafkaException(m.error())
        producer.begin_transaction()
        emit({'step': 'begun'})
        for m in messages:
            out = '%d:%d:%s' % (m.partition(), m.offset(), m.value().decode('utf-8'))
            producer.produce(req['output'], value=out.encode('utf-8'), partition=m.partition())
        producer.flush(30)
        emit({'step': 'produced', 'count': len(messages)})
        producer.send_offsets_to_transaction(consumer.position(consumer.assignment()), consumer.consumer_group_metadata(), 30)
        emit({'step': 'offsets'})
        producer.commit_transaction(30)
        emit({'step': 'committed', 'count': len(messages)})


OPS = {'init': init, 'begin': begin, 'commit': commit, 'abort': abort, 'produce': produce, 'send_offsets': send_offsets,
       'read': read, 'watermarks': watermarks, 'committed': committed, 'process': process}


def run(request):
    try:
        return OPS[request['op']](request)
    except KafkaException as e:
        return error_doc(e.args[0])


if __name__ == '__main__':
    if sys.argv[1] == 'session':
        for line in sys.stdin:
            if line.strip():
                emit(run(json.loads(line)))
    else:
        emit(run(json.loads(sys.argv[1])))
