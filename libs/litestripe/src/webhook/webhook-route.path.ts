import { RequestMethod, Type } from '@nestjs/common';
import type { ApplicationConfig, ModuleRef, ModulesContainer } from '@nestjs/core';
// Nest's own path builder (the one its router registers routes with): global prefix and its
// exclusions, URI versions, RouterModule paths. Published by @nestjs/core's `./*.js` export.
import { RoutePathFactory } from '@nestjs/core/router/route-path-factory.js';

/** @nestjs/common's metadata keys (`MODULE_PATH`, set by RouterModule, and `VERSION_METADATA`). */
const MODULE_PATH = '__module_path__';
const VERSION_METADATA = '__version__';

/** The webhook handler's own route (`@Post(WEBHOOK_HANDLER_ROUTE)`), and that route as Nest's router joins it. */
export const WEBHOOK_HANDLER_ROUTE = ':uuid';
export const WEBHOOK_METHOD_PATH = `/${WEBHOOK_HANDLER_ROUTE}`;

/**
 * The path Nest's router registered the webhook controller's `POST :uuid` handler at, with `:uuid`
 * left as it is (e.g. `/api/v1/ls/hook/:uuid`): the controller's path under the module's
 * RouterModule path, the URI version and the global prefix, as `RoutesResolver` builds it. Null
 * when Nest's application config cannot be reached or the path not built.
 */
export function webhookRoutePattern(moduleRef: ModuleRef, modules: ModulesContainer, controller: Type<unknown>, controllerPath: string): string | null {
  const config = applicationConfigOf(moduleRef);
  if (!config) return null;
  const versioningOptions = config.getVersioning();
  const controllerVersion = versioningOptions ? (Reflect.getMetadata(VERSION_METADATA, controller) ?? versioningOptions.defaultVersion) : undefined;
  let path: string | undefined;
  try {
    [path] = new RoutePathFactory(config).create(
      {
        ctrlPath: addLeadingSlash(controllerPath),
        methodPath: WEBHOOK_METHOD_PATH,
        modulePath: modulePathOf(modules, controller),
        globalPrefix: addLeadingSlash(config.getGlobalPrefix()),
        controllerVersion,
        versioningOptions,
      },
      RequestMethod.POST,
    );
  } catch {
    return null;
  }
  return path?.endsWith(WEBHOOK_METHOD_PATH) ? path : null;
}

/**
 * The `ApplicationConfig` (global prefix, versioning) the app routes with. Nest provides it to no
 * module; the container every `ModuleRef` holds has it (`NestContainer.applicationConfig`).
 */
function applicationConfigOf(moduleRef: ModuleRef): ApplicationConfig | undefined {
  const container = (moduleRef as unknown as { container?: { applicationConfig?: ApplicationConfig } }).container;
  const config = container?.applicationConfig;
  return config && typeof config.getGlobalPrefix === 'function' && typeof config.getVersioning === 'function' ? config : undefined;
}

/** The RouterModule path of the module that declares `controller`, as `RoutesResolver` reads it. */
function modulePathOf(modules: ModulesContainer, controller: Type<unknown>): string | undefined {
  for (const module of modules.values()) {
    if (!module.controllers.has(controller)) continue;
    return Reflect.getMetadata(MODULE_PATH + modules.applicationId, module.metatype) ?? Reflect.getMetadata(MODULE_PATH, module.metatype);
  }
  return undefined;
}

function addLeadingSlash(path: string | undefined): string {
  if (!path) return '';
  return path.startsWith('/') || path.startsWith('{/') ? path : `/${path}`;
}
