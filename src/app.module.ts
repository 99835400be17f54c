import { type DynamicModule, Global, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { ChatModule } from './chat/chat.module';
import { APP_CONFIG, type AppConfig } from './config/app-config';
import { HealthController } from './health/health.controller';
import { ShutdownState } from './lifecycle/shutdown-state';

/** Makes the validated config and the shutdown state available to every module. */
@Global()
@Module({})
class CoreModule {
  static register(config: AppConfig): DynamicModule {
    return {
      module: CoreModule,
      providers: [{ provide: APP_CONFIG, useValue: config }, ShutdownState],
      exports: [APP_CONFIG, ShutdownState],
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
