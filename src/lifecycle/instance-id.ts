import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';

/** This process's identity among the instances sharing a Redis. */
@Injectable()
export class InstanceId {
  readonly id = randomUUID();
}
