import { ArgumentMetadata, Injectable, PipeTransform, ValidationPipe } from '@nestjs/common';
import { unparsable } from '../common/piragua.error.js';
import { UNPARSABLE_BODY } from './heketi-body.parser.js';

/**
 * Heketi decodes bodies with json.Unmarshal: an empty body, a non-object or a wrong type is
 * `422 request unable to be parsed`; unknown fields are ignored (stripped here). Only bodies are
 * DTOs: a route parameter or header goes through as it is, without a promise (a read has two).
 */
@Injectable()
export class HeketiValidationPipe implements PipeTransform {
  private readonly bodies = new ValidationPipe({
    exceptionFactory: () => unparsable(),
    transform: true,
    whitelist: true,
  });

  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type !== 'body') {
      return value;
    }
    if (value === UNPARSABLE_BODY || value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw unparsable();
    }
    return this.bodies.transform(value, metadata);
  }
}
