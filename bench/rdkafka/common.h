/* Shared by producer.c and consumer.c: argument parsing, clock, librdkafka config helpers. */
#ifndef SLUICE_BENCH_COMMON_H
#define SLUICE_BENCH_COMMON_H
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <librdkafka/rdkafka.h>

static double now_sec(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds (user + system) this process has used, all threads. */
static double cpu_sec(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void die(const char *what, const char *detail) {
  fprintf(stderr, "%s: %s\n", what, detail);
  exit(1);
}

static void set_conf(rd_kafka_conf_t *conf, const char *key, const char *value) {
  char err[512];
  if (rd_kafka_conf_set(conf, key, value, err, sizeof err) != RD_KAFKA_CONF_OK) die(key, err);
}

/* "key=value" from a -X argument. */
static void set_conf_kv(rd_kafka_conf_t *conf, char *kv) {
  char *eq = strchr(kv, '=');
  if (eq == NULL) die("-X needs key=value", kv);
  *eq = '\0';
  set_conf(conf, kv, eq + 1);
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
  (void)rk;
  if (level <= 4) fprintf(stderr, "rdkafka %d %s: %s\n", level, fac, buf);
}

/* Partition count of `topic` from a Metadata request. */
static int partition_count(rd_kafka_t *rk, rd_kafka_topic_t *rkt) {
  const struct rd_kafka_metadata *md;
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
  if (err) die("metadata", rd_kafka_err2str(err));
  if (md->topic_cnt != 1 || md->topics[0].err) die("metadata", md->topic_cnt == 1 ? rd_kafka_err2str(md->topics[0].err) : "no topic");
  int n = md->topics[0].partition_cnt;
  rd_kafka_metadata_destroy(md);
  return n;
}

#endif
