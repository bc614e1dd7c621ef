"""librdkafka (Debian's python3-confluent-kafka) producing for bench/transactions.mjs.

Usage: /usr/bin/python3 rdkafka-txn.py '{"bootstrap": ..., "topic": ..., "mode": "idempotent" | "transactional", "n": ...}'
Sends n 100-byte records (10 B key, 90 B value) to partition 0 in groups of 1,000, each awaited
before the next: produce then flush() (idempotent), or begin / produce / commit_transaction()
(one transaction per 1,000 records). Prints {"rate": records per second} from the first
produce to the last acknowledgement; setup (init_transactions, metadata) is left out.
"""
import json
import sys
import time

from confluent_kafka import Producer

SEND = 1000


def main(req):
    conf = {'bootstrap.servers': req['bootstrap'], 'linger.ms': 5, 'enable.idempotence': True, 'acks': 'all'}
    transactional = req['mode'] == 'transactional'
    if transactional:
        conf['transactional.id'] = 'bench-rdkafka-%s' % req['topic']
    producer = Producer(conf)
    records = [(b'k%09d' % i, bytes([97 + i % 26]) * 90) for i in range(8 * SEND)]
    # Both modes learn the topic's metadata before the clock starts: without it, librdkafka
    # holds the first transaction's records until its next metadata scan (1 s after
    # init_transactions), which is setup, not transaction cost.
    producer.list_topics(req['topic'], timeout=30)
    if transactional:
        producer.init_transactions(30)
    n = req['n']
    t0 = time.perf_counter()
    for start in range(0, n, SEND):
        if transactional:
            producer.begin_transaction()
        base = start % len(records)
        for key, value in records[base:base + SEND]:
            producer.produce(req['topic'], key=key, value=value, partition=0)
        if transactional:
            producer.commit_transaction(30)
        elif producer.flush(30) != 0:
            raise RuntimeError('flush timed out')
    seconds = time.perf_counter() - t0
    print(json.dumps({'rate': n / seconds}))


if __name__ == '__main__':
    main(json.loads(sys.argv[1]))
