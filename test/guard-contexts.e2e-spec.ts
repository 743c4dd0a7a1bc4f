import { Controller, Get, INestApplication, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ClientProxy, ClientProxyFactory, EventPattern, MessagePattern, Transport } from '@nestjs/microservices';
import { WsAdapter } from '@nestjs/platform-ws';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { AddressInfo, Server } from 'node:net';
import { firstValueFrom } from 'rxjs';
import request from 'supertest';
import { LitestripeConfigError, LitestripeModule, LitestripeModuleOptions } from '@litestripe/nestjs';
import { RequiresFeature, RequiresPlan, RequiresSubscription, SkipSubscriptionCheck, SubscriptionGuard } from '@litestripe/nestjs';
import { bootAndClose, CapturingLogger, closeOpenedDataSources, compileHost } from './support/module-boot';
import { WEBHOOK_SECRET } from './support/test-app';

/** What the handlers below were reached with; the guard must stop calls before they land here. */
const reached: string[] = [];

const litestripe = (options: Partial<LitestripeModuleOptions> = {}) =>
  LitestripeModule.forRoot({
    secretKey: 'sk_test_litestripe',
    webhookUuid: '5f0c8a36-7d1e-4b8e-9a43-0d5e2c1f6b7a',
    webhookSecret: WEBHOOK_SECRET,
    isGlobal: true,
    plans: { pro: { prices: { test: 'price_pro' }, features: ['export'] } },
    ...options,
  });

describe('SubscriptionGuard refuses at start-up a requirement it could never check', () => {
  afterEach(() => closeOpenedDataSources());

  @Controller()
  class OrdersController {
    @RequiresPlan('pro')
    @MessagePattern('orders.place')
    place() {
      return 'placed';
    }
  }

  @RequiresSubscription()
  @Controller('invoices')
  class InvoicesController {
    @Get()
    list() {
      return [];
    }

    @EventPattern('invoice.created')
    created(_invoice: unknown) {}
  }

  @RequiresSubscription()
  @Controller('exports')
  class HybridController {
    @Get()
    list() {
      return [];
    }

    @SkipSubscriptionCheck()
    @EventPattern('export.requested')
    requested(_request: unknown) {}
  }

  @WebSocketGateway({ path: '/ws' })
  class ChatGateway {
    @RequiresFeature('export')
    @SubscribeMessage('export')
    exportChat() {
      return { event: 'exported' };
    }
  }

  const boot = async (parts: { controllers?: (new () => unknown)[]; providers?: (new () => unknown)[] }) => {
    @Module(parts)
    class Handlers {}
    await bootAndClose(litestripe(), { imports: [Handlers], configure: (app) => app.useWebSocketAdapter(new WsAdapter(app)) });
  };

  it('@RequiresPlan() on a @MessagePattern() handler', async () => {
    const error = await boot({ controllers: [OrdersController] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LitestripeConfigError);
    expect((error as Error).message).toMatch(/"@RequiresPlan\(\)" sits on OrdersController\.place, a microservice \(@MessagePattern\/@EventPattern\) handler, where SubscriptionGuard finds no request/);
    expect((error as Error).message).toContain('call SubscriptionService.isEntitled() in the handler');
  });

  it('@RequiresSubscription() on a controller that also holds an @EventPattern() handler', async () => {
    const error = await boot({ controllers: [InvoicesController] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LitestripeConfigError);
    expect((error as Error).message).toMatch(/"@RequiresSubscription\(\)" sits on InvoicesController\.created \(through its class\), a microservice/);
    expect((error as Error).message).toContain('put @SkipSubscriptionCheck() on this handler');
  });

  it('@RequiresFeature() on a WebSocket gateway @SubscribeMessage() handler', async () => {
    const error = await boot({ providers: [ChatGateway] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LitestripeConfigError);
    expect((error as Error).message).toMatch(/"@RequiresFeature\(\)" sits on ChatGateway\.exportChat, a WebSocket \(@SubscribeMessage\) handler/);
  });

  it('but boots when the handler opts out with @SkipSubscriptionCheck()', async () => {
    await expect(boot({ controllers: [HybridController] })).resolves.toBeUndefined();
  });
});

@Controller()
class OrdersHandlers {
  @MessagePattern('orders.count')
  count() {
    reached.push('orders.count');
    return 3;
  }

  @SkipSubscriptionCheck()
  @MessagePattern('orders.health')
  health() {
    reached.push('orders.health');
    return 'healthy';
  }

  @Get('orders')
  list() {
    reached.push('GET /orders');
    return [];
  }
}

@WebSocketGateway({ path: '/ws' })
class ChatGateway {
  @SubscribeMessage('history')
  history() {
    reached.push('history');
    return { event: 'history', data: [] };
  }

  @SkipSubscriptionCheck()
  @SubscribeMessage('ping')
  ping() {
    reached.push('ping');
    return { event: 'pong', data: 'pong' };
  }
}

@Module({ controllers: [OrdersHandlers], providers: [ChatGateway] })
class HybridHandlers {}

describe('a global SubscriptionGuard on RPC and WebSocket handlers, at run time', () => {
  let app: INestApplication;
  let client: ClientProxy;
  let wsUrl: string;
  const logger = new CapturingLogger();

  beforeAll(async () => {
    const moduleRef = await compileHost(litestripe(), { imports: [HybridHandlers], providers: [{ provide: APP_GUARD, useClass: SubscriptionGuard }] });
    app = moduleRef.createNestApplication({ logger, rawBody: true });
    app.useWebSocketAdapter(new WsAdapter(app));
    const microservice = app.connectMicroservice({ transport: Transport.TCP, options: { host: '127.0.0.1', port: 0 } }, { inheritAppConfig: true });
    await app.init();
    await app.startAllMicroservices();
    await app.listen(0, '127.0.0.1');
    const rpcPort = (microservice.unwrap<Server>().address() as AddressInfo).port;
    client = ClientProxyFactory.create({ transport: Transport.TCP, options: { host: '127.0.0.1', port: rpcPort } });
    await client.connect();
    wsUrl = `ws://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}/ws`;
  });
  afterAll(async () => {
    await client?.close();
    await app?.close();
    await closeOpenedDataSources();
  });
  beforeEach(() => {
    reached.length = 0;
    logger.lines.length = 0;
  });

  /** Sends one message over a fresh WebSocket (Node's own client) and resolves with the first answer. */
  const wsCall = (event: string, data: unknown) =>
    new Promise<unknown>((resolve, reject) => {
      const socket = new WebSocket(wsUrl);
      socket.addEventListener('error', () => reject(new Error(`WebSocket to ${wsUrl} failed`)), { once: true });
      socket.addEventListener('open', () => socket.send(JSON.stringify({ event, data })), { once: true });
      socket.addEventListener(
        'message',
        (message) => {
          resolve(JSON.parse(String(message.data)));
          socket.close();
        },
        { once: true },
      );
    });

  it('denies an RPC handler without @SkipSubscriptionCheck(), and logs why and what to do', async () => {
    await expect(firstValueFrom(client.send('orders.count', {}))).rejects.toEqual({ status: 'error', message: 'Internal server error' });
    expect(reached).toEqual([]);
    expect(logger.text()).toContain(
      'SubscriptionGuard cannot check the rpc handler OrdersHandlers.count: only HTTP requests and GraphQL resolvers carry the request it reads the account from, so it denies. ' +
        'Call SubscriptionService.isEntitled() in the handler, and put @SkipSubscriptionCheck() on it (or its class) to let it past a global SubscriptionGuard.',
    );
    expect(logger.text()).toContain('SubscriptionGuardContextError');
  });

  it('lets an RPC handler with @SkipSubscriptionCheck() through', async () => {
    await expect(firstValueFrom(client.send('orders.health', {}))).resolves.toBe('healthy');
    expect(reached).toEqual(['orders.health']);
  });

  it('denies a WebSocket handler without @SkipSubscriptionCheck(), and logs why', async () => {
    expect(await wsCall('history', { room: 'a' })).toEqual({ event: 'exception', data: { status: 'error', message: 'Internal server error', cause: { pattern: 'history', data: { room: 'a' } } } });
    expect(reached).toEqual([]);
    expect(logger.text()).toContain('SubscriptionGuard cannot check the ws handler ChatGateway.history');
  });

  it('lets a WebSocket handler with @SkipSubscriptionCheck() through', async () => {
    expect(await wsCall('ping', {})).toEqual({ event: 'pong', data: 'pong' });
    expect(reached).toEqual(['ping']);
  });

  it('still guards the HTTP routes of the same controller', async () => {
    const response = await request(app.getHttpServer()).get('/orders');
    expect(response.status).toBe(401);
    expect(reached).toEqual([]);
  });
});
