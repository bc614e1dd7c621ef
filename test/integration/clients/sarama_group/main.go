// A sarama (Debian's golang-github-shopify-sarama-dev, 1.22) ConsumerGroup member, driven by
// test/integration/client-groups.test.ts.
//
// Usage: sarama-group '{"bootstrap", "group", "topic", "client_id", "assignor": "range" | "roundrobin"}'
//
// Joins `group` (Kafka 2.0 request versions; sarama needs at least 0.10.2 for groups) reading
// `topic` from the oldest offset when the group has none committed, and runs until SIGTERM,
// printing one JSON object a line as things happen:
//
//	{"event": "assigned", "partitions": [...]}    each session's claims (a new one per rebalance)
//	{"event": "record", "partition": p, "offset": o, "value": v}
//	{"event": "closed"}                           after Close(): marked offsets committed, group left
//
// Every record is marked (MarkMessage) once printed; sarama commits marks on its interval and
// when a session ends.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/Shopify/sarama"
)

type request struct {
	Bootstrap string `json:"bootstrap"`
	Group     string `json:"group"`
	Topic     string `json:"topic"`
	ClientID  string `json:"client_id"`
	Assignor  string `json:"assignor"`
}

var out = struct {
	sync.Mutex
	enc *json.Encoder
}{enc: json.NewEncoder(os.Stdout)}

func emit(doc map[string]interface{}) {
	out.Lock()
	defer out.Unlock()
	check(out.enc.Encode(doc))
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

type handler struct{ topic string }

func (h handler) Setup(s sarama.ConsumerGroupSession) error {
	partitions := append([]int32{}, s.Claims()[h.topic]...)
	sort.Slice(partitions, func(i, j int) bool { return partitions[i] < partitions[j] })
	emit(map[string]interface{}{"event": "assigned", "partitions": partitions})
	return nil
}

func (h handler) Cleanup(sarama.ConsumerGroupSession) error { return nil }

func (h handler) ConsumeClaim(s sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for m := range claim.Messages() {
		emit(map[string]interface{}{"event": "record", "partition": m.Partition, "offset": m.Offset, "value": string(m.Value)})
		s.MarkMessage(m, "")
	}
	return nil
}

func main() {
	var req request
	check(json.Unmarshal([]byte(os.Args[1]), &req))
	c := sarama.NewConfig()
	c.ClientID = req.ClientID
	c.Version = sarama.V2_0_0_0
	c.Metadata.Retry.Backoff = 50 * time.Millisecond
	c.Consumer.MaxWaitTime = 50 * time.Millisecond
	c.Consumer.Offsets.Initial = sarama.OffsetOldest
	c.Consumer.Offsets.CommitInterval = 200 * time.Millisecond
	c.Consumer.Group.Session.Timeout = 6 * time.Second
	c.Consumer.Group.Heartbeat.Interval = 300 * time.Millisecond
	c.Consumer.Group.Rebalance.Retry.Backoff = 100 * time.Millisecond
	if req.Assignor == "roundrobin" {
		c.Consumer.Group.Rebalance.Strategy = sarama.BalanceStrategyRoundRobin
	} else {
		c.Consumer.Group.Rebalance.Strategy = sarama.BalanceStrategyRange
	}
	group, err := sarama.NewConsumerGroup([]string{req.Bootstrap}, req.Group, c)
	check(err)

	ctx, cancel := context.WithCancel(context.Background())
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM)
	go func() {
		<-signals
		cancel()
	}()
	// A session ends at every rebalance; Consume then has to be called again to rejoin.
	for ctx.Err() == nil {
		if err := group.Consume(ctx, []string{req.Topic}, handler{topic: req.Topic}); err != nil && ctx.Err() == nil {
			check(err)
		}
	}
	check(group.Close())
	emit(map[string]interface{}{"event": "closed"})
}
