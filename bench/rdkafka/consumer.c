/*
 * librdkafka consumer for `npm run bench`: reads N records from every partition of a topic,
 * from the beginning, and prints one JSON line with the rate.
 *
 *   consumer -b 127.0.0.1:9092 -t topic -n 1000000 [-X key=value ...]
 *
 * No consumer group: the legacy (simple) consumer API — rd_kafka_consume_start_queue on each
 * partition into one queue — fetches from the offsets given and never looks for a group
 * coordinator (rd_kafka_assign needs group.id, and with one librdkafka starts the group
 * machinery: FindCoordinator, which this broker does not serve yet). Timed: from starting
 * the partitions to the N-th record handed to the application (payloads are touched: the
 * key and value lengths are summed).
 */
#include "common.h"

struct state {
  long want;
  long got;
  long bytes;
  long errors;
  double t_last;
};

static void consume_cb(rd_kafka_message_t *m, void *opaque) {
  struct state *s = opaque;
  if (m->err) {
    if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      if (s->errors++ == 0) fprintf(stderr, "consume error: %s\n", rd_kafka_message_errstr(m));
    }
    return;
  }
  s->got++;
  s->bytes += (long)(m->len + m->key_len);
  if (s->got == s->want) s->t_last = now_sec();
}

int main(int argc, char **argv) {
  const char *brokers = "127.0.0.1:9092";
  const char *topic = NULL;
  long n = 1000000;
  char err[512];

  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_topic_conf_t *tconf = rd_kafka_topic_conf_new();
  set_conf(conf, "enable.partition.eof", "false");
  set_conf(conf, "fetch.wait.max.ms", "100");

  int opt;
  while ((opt = getopt(argc, argv, "b:t:n:X:")) != -1) {
    switch (opt) {
      case 'b': brokers = optarg; break;
      case 't': topic = optarg; break;
      case 'n': n = atol(optarg); break;
      case 'X': set_conf_kv(conf, optarg); break;
      default: die("usage", "consumer -b brokers -t topic -n count [-X key=value]");
    }
  }
  if (topic == NULL || n <= 0) die("usage", "consumer -b brokers -t topic -n count [-X key=value]");
  set_conf(conf, "bootstrap.servers", brokers);
  rd_kafka_conf_set_log_cb(conf, log_cb);

  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (rk == NULL) die("rd_kafka_new", err);
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, tconf);
  int partitions = partition_count(rk, rkt);
  rd_kafka_queue_t *q = rd_kafka_queue_new(rk);

  struct state s = {.want = n};
  double c0 = cpu_sec();
  double t0 = now_sec();
  for (int p = 0; p < partitions; p++) {
    if (rd_kafka_consume_start_queue(rkt, p, RD_KAFKA_OFFSET_BEGINNING, q) == -1) die("consume_start", rd_kafka_err2str(rd_kafka_last_error()));
  }
  double deadline = t0 + 120;
  while (s.got < n && now_sec() < deadline) {
    rd_kafka_consume_callback_queue(q, 100, consume_cb, &s);
  }
  double sec = (s.got >= n ? s.t_last : now_sec()) - t0;
  double cpu = cpu_sec() - c0;
  printf("{\"records\":%ld,\"errors\":%ld,\"partitions\":%d,\"seconds\":%.6f,\"recordsPerSec\":%.1f,\"payloadMBps\":%.3f,\"cpuSeconds\":%.3f}\n",
         s.got, s.errors, partitions, sec, (double)s.got / sec, (double)s.bytes / sec / 1e6, cpu);
  fflush(stdout);
  for (int p = 0; p < partitions; p++) rd_kafka_consume_stop(rkt, p);
  rd_kafka_queue_destroy(q);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  return s.got >= n ? 0 : 2;
}
