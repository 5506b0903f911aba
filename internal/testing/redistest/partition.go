package redistest

import (
	"context"
	"errors"
	"net"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// ErrPartitioned is the error of every command sent through a cut [Partition].
var ErrPartitioned = errors.New("redistest: partitioned from Redis")

// Partition is a go-redis hook that cuts its client off from Redis on demand,
// as a network partition does: while cut, every command (and every new
// connection) fails at once with [ErrPartitioned], without reaching Redis. Add
// it to one client with AddHook to take Redis away from one replica while the
// others keep it. The zero value is healed.
type Partition struct{ cut atomic.Bool }

// Cut makes every command fail until Heal.
func (p *Partition) Cut() { p.cut.Store(true) }

// Heal lets commands through again.
func (p *Partition) Heal() { p.cut.Store(false) }

// DialHook refuses new connections while cut.
func (p *Partition) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if p.cut.Load() {
			return nil, ErrPartitioned
		}
		return next(ctx, network, addr)
	}
}

// ProcessHook fails commands while cut.
func (p *Partition) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if p.cut.Load() {
			return ErrPartitioned
		}
		return next(ctx, cmd)
	}
}

// ProcessPipelineHook fails pipelines while cut.
func (p *Partition) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if p.cut.Load() {
			for _, c := range cmds {
				c.SetErr(ErrPartitioned)
			}
			return ErrPartitioned
		}
		return next(ctx, cmds)
	}
}
