import { Injectable, PipeTransform } from '@nestjs/common';
import { invalidPath } from './piragua.error.js';

const HEX = /^[A-Fa-f0-9]+$/;

/**
 * Heketi's routes only match `{id:[A-Fa-f0-9]+}`, so anything else is an unknown path (404), not a
 * bad request. Ids longer than any id piragua mints cannot exist; they are refused the same way.
 */
@Injectable()
export class HeketiIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (typeof value !== 'string' || value.length > 64 || !HEX.test(value)) {
      throw invalidPath();
    }
    return value;
  }
}
