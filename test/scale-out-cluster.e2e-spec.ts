import { describeScaleOut } from './support/scale-out-cases';
import { startRedisCluster } from './support/shared-redis';

// The cases of scale-out.e2e-spec.ts on a real 3-master Redis Cluster: live-tail wake-ups and
// cancels through sharded pub/sub, and the master that owns the stream's slot crashes mid-stream.
describeScaleOut('a real 3-master Redis Cluster', startRedisCluster);
