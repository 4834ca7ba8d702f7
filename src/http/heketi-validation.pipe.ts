import { ArgumentMetadata, Injectable, ValidationPipe } from '@nestjs/common';
import { unparsable } from '../common/piragua.error.js';
import { UNPARSABLE_BODY } from './heketi-body.parser.js';

/**
 * Heketi decodes bodies with json.Unmarshal: an empty body, a non-object or a wrong type is
 * `422 request unable to be parsed`; unknown fields are ignored (stripped here).
 */
@Injectable()
export class HeketiValidationPipe extends ValidationPipe {
  constructor() {
    super({ exceptionFactory: () => unparsable(), transform: true, whitelist: true });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (
      metadata.type === 'body' &&
      (value === UNPARSABLE_BODY || value === null || typeof value !== 'object' || Array.isArray(value))
    ) {
      throw unparsable();
    }
    return super.transform(value, metadata);
  }
}
