/*
 * librdkafka producer for `npm run bench`: sends N records of a fixed size to a topic as fast as
 * librdkafka will, and prints one JSON line with the rate.
 *
 *   producer -b 127.0.0.1:9092 -t topic -n 1000000 [-k 10] [-v 90] [-X key=value ...]
 *
 * Records: a k-byte key (the record number, zero-padded, so keys spread over partitions as
 * real keys do) and a v-byte value, both pointing into buffers prepared before the clock
 * starts (RD_KAFKA_MSG_F_COPY is not used: the payload stays ours, librdkafka copies it once
 * into its batch). Timed: from the first produce call to the last delivery report.
 * Defaults: acks=1, linger.ms=5, batch.size=1 MiB, compression none (override with -X).
 */
#include "common.h"

static long delivered;
static long failed;
static rd_kafka_resp_err_t first_error;

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk;
  (void)opaque;
  if (m->err) {
    if (failed++ == 0) first_error = m->err;
  } else {
    delivered++;
  }
}

int main(int argc, char **argv) {
  const char *brokers = "127.0.0.1:9092";
  const char *topic = NULL;
  long n = 1000000;
  int key_bytes = 10;
  int value_bytes = 90;
  char err[512];

  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  set_conf(conf, "acks", "1");
  set_conf(conf, "linger.ms", "5");
  set_conf(conf, "batch.size", "1048576");
  set_conf(conf, "compression.codec", "none");
  set_conf(conf, "queue.buffering.max.messages", "2000000");
  set_conf(conf, "queue.buffering.max.kbytes", "1048576");
  set_conf(conf, "message.max.bytes", "2000000");

  int opt;
  while ((opt = getopt(argc, argv, "b:t:n:k:v:X:")) != -1) {
    switch (opt) {
      case 'b': brokers = optarg; break;
      case 't': topic = optarg; break;
      case 'n': n = atol(optarg); break;
      case 'k': key_bytes = atoi(optarg); break;
      case 'v': value_bytes = atoi(optarg); break;
      case 'X': set_conf_kv(conf, optarg); break;
      default: die("usage", "producer -b brokers -t topic -n count [-k keyBytes] [-v valueBytes] [-X key=value]");
    }
  }
  if (topic == NULL || n <= 0 || key_bytes < 1 || value_bytes < 0) die("usage", "producer -b brokers -t topic -n count [-k keyBytes] [-v valueBytes] [-X key=value]");
  set_conf(conf, "bootstrap.servers", brokers);
  rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
  rd_kafka_conf_set_log_cb(conf, log_cb);

  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (rk == NULL) die("rd_kafka_new", err);
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
  int partitions = partition_count(rk, rkt);

  /* 64 K distinct keys and one value buffer with a sliding window: enough variety, no copies. */
  const long key_pool = 65536;
  char *keys = malloc((size_t)key_pool * (size_t)key_bytes + 32);
  char *values = malloc((size_t)value_bytes + 4096);
  for (long i = 0; i < key_pool; i++) {
    char tmp[32];
    snprintf(tmp, sizeof tmp, "k%020ld", i);
    memcpy(keys + i * key_bytes, tmp + (strlen(tmp) > (size_t)key_bytes ? strlen(tmp) - (size_t)key_bytes : 0), (size_t)key_bytes);
  }
  unsigned seed = 12345;
  for (int i = 0; i < value_bytes + 4096; i++) values[i] = (char)(rand_r(&seed) & 0xff);

  double c0 = cpu_sec();
  double t0 = now_sec();
  for (long i = 0; i < n; i++) {
    for (;;) {
      int r = rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, 0, values + (i & 4095), (size_t)value_bytes,
                               keys + (i % key_pool) * key_bytes, (size_t)key_bytes, NULL);
      if (r == 0) break;
      rd_kafka_resp_err_t e = rd_kafka_last_error();
      if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) die("produce", rd_kafka_err2str(e));
      rd_kafka_poll(rk, 1);
    }
    if ((i & 1023) == 0) rd_kafka_poll(rk, 0);
  }
  while (rd_kafka_outq_len(rk) > 0) rd_kafka_poll(rk, 10);
  double t1 = now_sec();
  double cpu = cpu_sec() - c0;

  double sec = t1 - t0;
  printf("{\"records\":%ld,\"failed\":%ld,\"firstError\":\"%s\",\"partitions\":%d,\"seconds\":%.6f,\"recordsPerSec\":%.1f,\"payloadMBps\":%.3f,\"cpuSeconds\":%.3f}\n",
         delivered, failed, failed ? rd_kafka_err2name(first_error) : "", partitions, sec, (double)delivered / sec,
         (double)delivered * (key_bytes + value_bytes) / sec / 1e6, cpu);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  free(keys);
  free(values);
  return failed == 0 && delivered == n ? 0 : 2;
}
