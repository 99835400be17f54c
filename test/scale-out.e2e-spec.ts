import { describeScaleOut } from './support/scale-out-cases';
import { startSingleRedis } from './support/shared-redis';

// The same cases on a 3-master Redis Cluster: scale-out-cluster.e2e-spec.ts.
describeScaleOut('one real Redis', startSingleRedis);
