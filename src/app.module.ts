import { type DynamicModule, Global, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { ChatModule } from './chat/chat.module';
import { HtmxModule } from './htmx/htmx.module';
import { OpenAIModule } from './openai/openai.module';
import { UiChatModule } from './ui-chat/ui-chat.module';
import { APP_CONFIG, type AppConfig } from './config/app-config';
import { HealthController } from './health/health.controller';
import { InstanceId } from './lifecycle/instance-id';
import type { Pipeline } from './pipelines/pipeline';
import { PIPELINE_LIST } from './pipelines/pipeline-registry';
import { PIPELINES } from './pipelines/pipelines';
import { ShutdownState } from './lifecycle/shutdown-state';
import { StreamStorageModule } from './stream-log/stream-storage.module';

/** What an embedding application may add to the service. */
export interface AppExtensions {
  /** Pipelines besides the built-in ones (`src/pipelines/pipelines.ts`). */
  pipelines?: readonly Pipeline[];
}

/**
 * Makes the validated config, the shutdown state, the instance id and the pipeline list
 * available everywhere.
 */
@Global()
@Module({})
class CoreModule {
  static register(config: AppConfig, extensions: AppExtensions): DynamicModule {
    const pipelines = [...PIPELINES, ...(extensions.pipelines ?? [])];
    return {
      module: CoreModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: PIPELINE_LIST, useValue: pipelines },
        ShutdownState,
        InstanceId,
      ],
      exports: [APP_CONFIG, PIPELINE_LIST, ShutdownState, InstanceId],
    };
  }
}

@Module({})
export class AppModule {
  static register(config: AppConfig, extensions: AppExtensions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.register(config, extensions),
        StreamStorageModule.register(config),
        LoggerModule.forRoot({
          pinoHttp: {
            level: config.logLevel,
            redact: ['req.headers.authorization', 'req.headers.cookie'],
            customProps: (req) => ({ requestId: req.headers['x-request-id'] }),
          },
        }),
        ChatModule,
        OpenAIModule,
        UiChatModule,
        HtmxModule,
      ],
      controllers: [HealthController],
    };
  }
}
