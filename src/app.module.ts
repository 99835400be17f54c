import { type DynamicModule, Global, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { ChatModule } from './chat/chat.module';
import { APP_CONFIG, type AppConfig } from './config/app-config';
import { HealthController } from './health/health.controller';
import { InstanceId } from './lifecycle/instance-id';
import { ShutdownState } from './lifecycle/shutdown-state';
import { StreamStorageModule } from './stream-log/stream-storage.module';

/** Makes the validated config, the shutdown state and the instance id available everywhere. */
@Global()
@Module({})
class CoreModule {
  static register(config: AppConfig): DynamicModule {
    return {
      module: CoreModule,
      providers: [{ provide: APP_CONFIG, useValue: config }, ShutdownState, InstanceId],
      exports: [APP_CONFIG, ShutdownState, InstanceId],
    };
  }
}

@Module({})
export class AppModule {
  static register(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.register(config),
        StreamStorageModule.register(config),
        LoggerModule.forRoot({
          pinoHttp: {
            level: config.logLevel,
            redact: ['req.headers.authorization', 'req.headers.cookie'],
            customProps: (req) => ({ requestId: req.headers['x-request-id'] }),
          },
        }),
        ChatModule,
      ],
      controllers: [HealthController],
    };
  }
}
