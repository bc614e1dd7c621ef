// sarama (Debian's golang-github-shopify-sarama-dev) driven by the integration tests.
//
// Usage: sarama-client '<json request>'; prints one JSON document on stdout (what the client
// saw) and exits non-zero with the error on stderr when an operation fails.
//
// "version" is a Kafka version as sarama parses it ("0.8.2.0", "2.1.0.0"); empty keeps
// sarama's default config.Version (V0_8_2_0 in 1.22), which selects the oldest request
// versions: Produce v0 / Fetch v0 with magic 0 message sets, ListOffsets v0, Metadata v0.
//
// Requests ("op"):
//
//	produce  {bootstrap, version, topic, partition, acks, compression, idempotent, records}
//	consume  {bootstrap, version, topic, partition, offset, count}   offset: n | -2 oldest | -1 newest
//	offsets  {bootstrap, version, topic, partition, timestamp}
//	admin    {bootstrap, version, topic}
//
// A record is {key, value, headers: [[k, v]...], timestamp}; keys/values are text or null.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/Shopify/sarama"
)

type record struct {
	Key       *string     `json:"key"`
	Value     *string     `json:"value"`
	Headers   [][2]string `json:"headers"`
	Timestamp *int64      `json:"timestamp,omitempty"`
}

type request struct {
	Op          string   `json:"op"`
	Bootstrap   string   `json:"bootstrap"`
	Version     string   `json:"version"`
	Topic       string   `json:"topic"`
	Partition   int32    `json:"partition"`
	Acks        int16    `json:"acks"`
	Compression string   `json:"compression"`
	Idempotent  bool     `json:"idempotent"`
	Records     []record `json:"records"`
	Offset      int64    `json:"offset"`
	Count       int      `json:"count"`
	Timestamp   int64    `json:"timestamp"`
}

func config(req request) *sarama.Config {
	c := sarama.NewConfig()
	c.ClientID = "sarama-it"
	if req.Version != "" {
		v, err := sarama.ParseKafkaVersion(req.Version)
		check(err)
		c.Version = v
	}
	c.Metadata.Retry.Backoff = 50 * time.Millisecond
	return c
}

func check(err error) {
	if errs, ok := err.(sarama.ProducerErrors); ok && len(errs) > 0 {
		err = fmt.Errorf("%v; first: %v", err, errs[0].Err)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func bytesOf(s *string) sarama.Encoder {
	if s == nil {
		return nil
	}
	return sarama.ByteEncoder([]byte(*s))
}

func textOf(b []byte) *string {
	if b == nil {
		return nil
	}
	s := string(b)
	return &s
}

var codecs = map[string]sarama.CompressionCodec{
	"": sarama.CompressionNone, "none": sarama.CompressionNone, "gzip": sarama.CompressionGZIP,
	"snappy": sarama.CompressionSnappy, "lz4": sarama.CompressionLZ4, "zstd": sarama.CompressionZSTD,
}

func produce(req request) interface{} {
	c := config(req)
	c.Producer.RequiredAcks = sarama.RequiredAcks(req.Acks)
	c.Producer.Compression = codecs[req.Compression]
	c.Producer.Partitioner = sarama.NewManualPartitioner
	c.Producer.Return.Successes = true
	c.Producer.Flush.Messages = len(req.Records) // one batch, so compression has something to do
	c.Producer.Flush.Frequency = 20 * time.Millisecond
	if req.Idempotent {
		c.Producer.Idempotent = true
		c.Net.MaxOpenRequests = 1
	}
	producer, err := sarama.NewSyncProducer([]string{req.Bootstrap}, c)
	check(err)
	msgs := make([]*sarama.ProducerMessage, len(req.Records))
	for i, r := range req.Records {
		m := &sarama.ProducerMessage{Topic: req.Topic, Partition: req.Partition, Key: bytesOf(r.Key), Value: bytesOf(r.Value)}
		for _, h := range r.Headers {
			m.Headers = append(m.Headers, sarama.RecordHeader{Key: []byte(h[0]), Value: []byte(h[1])})
		}
		if r.Timestamp != nil {
			m.Timestamp = time.Unix(0, *r.Timestamp*int64(time.Millisecond))
		}
		msgs[i] = m
	}
	check(producer.SendMessages(msgs))
	check(producer.Close())
	acked := make([]map[string]interface{}, len(msgs))
	for i, m := range msgs {
		acked[i] = map[string]interface{}{"partition": m.Partition, "offset": m.Offset}
	}
	return map[string]interface{}{"acked": acked}
}

func consume(req request) interface{} {
	c := config(req)
	c.Consumer.MaxWaitTime = 50 * time.Millisecond
	c.Consumer.Return.Errors = true
	consumer, err := sarama.NewConsumer([]string{req.Bootstrap}, c)
	check(err)
	pc, err := consumer.ConsumePartition(req.Topic, req.Partition, req.Offset)
	check(err)
	out := []map[string]interface{}{}
	deadline := time.After(15 * time.Second)
loop:
	for len(out) < req.Count {
		select {
		case m := <-pc.Messages():
			headers := [][2]string{}
			for _, h := range m.Headers {
				headers = append(headers, [2]string{string(h.Key), string(h.Value)})
			}
			entry := map[string]interface{}{"offset": m.Offset, "key": textOf(m.Key), "value": textOf(m.Value), "headers": headers}
			if !m.Timestamp.IsZero() {
				entry["timestamp"] = m.Timestamp.UnixNano() / int64(time.Millisecond)
			}
			out = append(out, entry)
		case e := <-pc.Errors():
			check(e)
		case <-deadline:
			break loop
		}
	}
	hwm := pc.HighWaterMarkOffset()
	check(pc.Close())
	check(consumer.Close())
	return map[string]interface{}{"records": out, "highWaterMark": hwm}
}

func offsets(req request) interface{} {
	client, err := sarama.NewClient([]string{req.Bootstrap}, config(req))
	check(err)
	defer client.Close()
	oldest, err := client.GetOffset(req.Topic, req.Partition, sarama.OffsetOldest)
	check(err)
	newest, err := client.GetOffset(req.Topic, req.Partition, sarama.OffsetNewest)
	check(err)
	out := map[string]interface{}{"earliest": oldest, "latest": newest}
	if req.Timestamp != 0 {
		at, err := client.GetOffset(req.Topic, req.Partition, req.Timestamp)
		check(err)
		out["for_timestamp"] = at
	}
	partitions, err := client.Partitions(req.Topic)
	check(err)
	out["partitions"] = partitions
	return out
}

func admin(req request) interface{} {
	c := config(req)
	ca, err := sarama.NewClusterAdmin([]string{req.Bootstrap}, c)
	check(err)
	defer ca.Close()
	out := map[string]interface{}{}
	retention := "3600000"
	check(ca.CreateTopic(req.Topic, &sarama.TopicDetail{NumPartitions: 2, ReplicationFactor: 1, ConfigEntries: map[string]*string{"retention.ms": &retention}}, false))
	if err := ca.CreateTopic(req.Topic, &sarama.TopicDetail{NumPartitions: 2, ReplicationFactor: 1}, false); err != nil {
		out["duplicate_create"] = err.Error()
	}
	md, err := ca.DescribeTopics([]string{req.Topic})
	check(err)
	parts := [][]interface{}{}
	for _, p := range md[0].Partitions {
		parts = append(parts, []interface{}{p.ID, p.Leader, p.Replicas, p.Isr})
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i][0].(int32) < parts[j][0].(int32) })
	out["partitions"] = parts
	// DescribeCluster sends Metadata v0, which has no controller; the client's Metadata v5 does.
	brokers, _, err := ca.DescribeCluster()
	check(err)
	addrs := []string{}
	for _, b := range brokers {
		addrs = append(addrs, fmt.Sprintf("%d@%s", b.ID(), b.Addr()))
	}
	out["brokers"] = addrs
	client, err := sarama.NewClient([]string{req.Bootstrap}, c)
	check(err)
	controller, err := client.Controller()
	check(err)
	out["controller"] = controller.ID()
	check(client.Close())
	entries, err := ca.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: req.Topic, ConfigNames: []string{"retention.ms"}})
	check(err)
	for _, e := range entries {
		out[e.Name] = e.Value
	}
	altered := "7200000"
	check(ca.AlterConfig(sarama.TopicResource, req.Topic, map[string]*string{"retention.ms": &altered}, false))
	entries, err = ca.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: req.Topic, ConfigNames: []string{"retention.ms"}})
	check(err)
	for _, e := range entries {
		out["altered."+e.Name] = e.Value
	}
	check(ca.CreatePartitions(req.Topic, 4, nil, false))
	topics, err := ca.ListTopics()
	check(err)
	detail, listed := topics[req.Topic]
	out["listed"] = listed
	if listed {
		out["listed_partitions"] = detail.NumPartitions
	}
	check(ca.DeleteTopic(req.Topic))
	topics, err = ca.ListTopics()
	check(err)
	_, out["listed_after_delete"] = topics[req.Topic]
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
