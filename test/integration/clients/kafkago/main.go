// segmentio/kafka-go 0.2.1 (Debian's golang-github-segmentio-kafka-go-dev) driven by the
// integration tests. This old release speaks fixed request versions: Produce v2 and Fetch v2
// (magic 1 message sets), ListOffsets v1, Metadata v1, CreateTopics v0, DeleteTopics v0.
//
// Usage: kafkago-client '<json request>'; prints one JSON document on stdout (what the client
// saw) and exits non-zero with the error on stderr when an operation fails.
//
// Requests ("op"):
//
//	produce  {bootstrap, topic, partition, acks, compression, records}   (Writer)
//	consume  {bootstrap, topic, partition, offset, count}                (Reader, no group)
//	offsets  {bootstrap, topic, partition, timestamp}                    (Conn)
//	admin    {bootstrap, topic}                                          (Conn)
//
// A record is {key, value, timestamp}; keys/values are text or null.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"time"

	kafka "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/gzip"
	"github.com/segmentio/kafka-go/lz4"
	"github.com/segmentio/kafka-go/snappy"
)

type record struct {
	Key       *string `json:"key"`
	Value     *string `json:"value"`
	Timestamp *int64  `json:"timestamp,omitempty"`
}

type request struct {
	Op          string   `json:"op"`
	Bootstrap   string   `json:"bootstrap"`
	Topic       string   `json:"topic"`
	Partition   int      `json:"partition"`
	Acks        int      `json:"acks"`
	Compression string   `json:"compression"`
	Records     []record `json:"records"`
	Offset      int64    `json:"offset"`
	Count       int      `json:"count"`
	Timestamp   int64    `json:"timestamp"`
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func bytesOf(s *string) []byte {
	if s == nil {
		return nil
	}
	return []byte(*s)
}

func textOf(b []byte) *string {
	if b == nil {
		return nil
	}
	s := string(b)
	return &s
}

// toPartition sends every message to one partition.
type toPartition int

func (p toPartition) Balance(_ kafka.Message, _ ...int) int { return int(p) }

func codec(name string) kafka.CompressionCodec {
	switch name {
	case "gzip":
		return gzip.NewCompressionCodec()
	case "snappy":
		return snappy.NewCompressionCodec()
	case "lz4":
		return lz4.NewCompressionCodec()
	}
	return nil
}

func produce(req request) interface{} {
	w := kafka.NewWriter(kafka.WriterConfig{
		Brokers:          []string{req.Bootstrap},
		Topic:            req.Topic,
		Balancer:         toPartition(req.Partition),
		RequiredAcks:     req.Acks,
		CompressionCodec: codec(req.Compression),
		BatchSize:        len(req.Records),
		BatchTimeout:     20 * time.Millisecond,
	})
	msgs := make([]kafka.Message, len(req.Records))
	for i, r := range req.Records {
		msgs[i] = kafka.Message{Key: bytesOf(r.Key), Value: bytesOf(r.Value)}
		if r.Timestamp != nil {
			msgs[i].Time = time.Unix(0, *r.Timestamp*int64(time.Millisecond))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	check(w.WriteMessages(ctx, msgs...))
	stats := w.Stats()
	check(w.Close())
	return map[string]interface{}{"messages": stats.Messages, "errors": stats.Errors}
}

func consume(req request) interface{} {
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:   []string{req.Bootstrap},
		Topic:     req.Topic,
		Partition: req.Partition,
		MinBytes:  1,
		MaxBytes:  1 << 20,
		MaxWait:   50 * time.Millisecond,
	})
	check(r.SetOffset(req.Offset))
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	out := []map[string]interface{}{}
	for len(out) < req.Count {
		m, err := r.ReadMessage(ctx)
		check(err)
		out = append(out, map[string]interface{}{
			"offset": m.Offset, "key": textOf(m.Key), "value": textOf(m.Value),
			"timestamp": m.Time.UnixNano() / int64(time.Millisecond),
		})
	}
	check(r.Close())
	return map[string]interface{}{"records": out}
}

func offsets(req request) interface{} {
	conn, err := kafka.DialLeader(context.Background(), "tcp", req.Bootstrap, req.Topic, req.Partition)
	check(err)
	defer conn.Close()
	first, last, err := conn.ReadOffsets()
	check(err)
	at, err := conn.ReadOffset(time.Unix(0, req.Timestamp*int64(time.Millisecond)))
	check(err)
	return map[string]interface{}{"earliest": first, "latest": last, "for_timestamp": at}
}

func admin(req request) interface{} {
	conn, err := kafka.Dial("tcp", req.Bootstrap)
	check(err)
	defer conn.Close()
	out := map[string]interface{}{}
	check(conn.CreateTopics(kafka.TopicConfig{
		Topic: req.Topic, NumPartitions: 3, ReplicationFactor: 1,
		ConfigEntries: []kafka.ConfigEntry{{ConfigName: "retention.ms", ConfigValue: "3600000"}},
	}))
	// Already existing is not an error for kafka-go's CreateTopics.
	check(conn.CreateTopics(kafka.TopicConfig{Topic: req.Topic, NumPartitions: 3, ReplicationFactor: 1}))
	partitions, err := conn.ReadPartitions(req.Topic)
	check(err)
	parts := [][]interface{}{}
	for _, p := range partitions {
		replicas := []int{}
		for _, b := range p.Replicas {
			replicas = append(replicas, b.ID)
		}
		parts = append(parts, []interface{}{p.ID, fmt.Sprintf("%d@%s:%d", p.Leader.ID, p.Leader.Host, p.Leader.Port), replicas})
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i][0].(int) < parts[j][0].(int) })
	out["partitions"] = parts
	check(conn.DeleteTopics(req.Topic))
	all, err := conn.ReadPartitions()
	check(err)
	listed := false
	for _, p := range all {
		listed = listed || p.Topic == req.Topic
	}
	out["listed_after_delete"] = listed
	return out
}

func main() {
	var req request
	check(json.Unmarshal([]byte(os.Args[1]), &req))
	ops := map[string]func(request) interface{}{"produce": produce, "consume": consume, "offsets": offsets, "admin": admin}
	op, ok := ops[req.Op]
	if !ok {
		check(fmt.Errorf("unknown op %q", req.Op))
	}
	out, err := json.Marshal(op(req))
	check(err)
	fmt.Println(string(out))
}
