package sqlite

import (
	"slices"
	"sync"
)

// bus is the in-process pub/sub behind Notify and Listen.
type bus struct {
	mu   sync.RWMutex
	next int
	subs map[int]subscriber
}

type subscriber struct {
	topics []string
	fn     func(topic, payload string)
}

func (b *bus) subscribe(topics []string, fn func(topic, payload string)) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.subs == nil {
		b.subs = make(map[int]subscriber)
	}
	b.next++
	b.subs[b.next] = subscriber{topics: slices.Clone(topics), fn: fn}
	return b.next
}

func (b *bus) unsubscribe(id int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.subs, id)
}

// publish calls every subscriber of topic (outside the lock, so fn may
// subscribe or unsubscribe).
func (b *bus) publish(topic, payload string) {
	b.mu.RLock()
	var fns []func(topic, payload string)
	for _, s := range b.subs {
		if slices.Contains(s.topics, topic) {
			fns = append(fns, s.fn)
		}
	}
	b.mu.RUnlock()
	for _, fn := range fns {
		fn(topic, payload)
	}
}
