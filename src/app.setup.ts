import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import {
  HEKETI_UI_SCHEME,
  HEKETI_UI_SCHEME_DESCRIPTION,
  heketiRequestInterceptor,
} from './docs/heketi-request-signer.js';

export function buildOpenApi(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setOpenAPIVersion('3.0.3')
    .setTitle('piragua')
    .setDescription(
      'Heketi-compatible REST API. A volume is a directory with a Gluster quota on a shared Gluster volume. ' +
        'Authenticate with a Heketi JWT: HS256, `iss` admin or user, `exp`, `iat`, and `qsh` = sha256 hex of `METHOD&PATH`, ' +
        'sent as `Authorization: bearer <jwt>`, a fresh one per request. ' +
        "In Swagger UI, click Authorize and enter the issuer and its key: the page signs each request's token itself.",
    )
    .setVersion('0.1.0')
    // Swagger UI collects the issuer and key through this scheme; heketiRequestInterceptor turns them into a JWT per request.
    .addBasicAuth({ description: HEKETI_UI_SCHEME_DESCRIPTION, scheme: 'basic', type: 'http' }, HEKETI_UI_SCHEME)
    .build();
  return SwaggerModule.createDocument(app, config, {
    // e.g. VolumesController.create -> volumesCreate: stable and unique across controllers.
    operationIdFactory: (controller, method) => {
      const resource = controller.replace(/Controller$/, '');
      return `${resource.charAt(0).toLowerCase()}${resource.slice(1)}${method.charAt(0).toUpperCase()}${method.slice(1)}`;
    },
  });
}

/** What main.ts adds to the app beyond its HTTP adapter (http/heketi-http.adapter.ts): the OpenAPI document with its UI. */
export function setupApp(app: INestApplication): void {
  SwaggerModule.setup('docs', app, buildOpenApi(app), {
    customSiteTitle: 'piragua API',
    jsonDocumentUrl: 'docs-json',
    raw: ['json'],
    // Serialized into swagger-ui-init.js and run in the page (see heketi-request-signer.ts).
    swaggerOptions: { requestInterceptor: heketiRequestInterceptor },
  });
  app.enableShutdownHooks();
}
