import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsArray, IsBoolean, IsInt, IsNumber, IsObject, IsOptional, IsString, ValidateNested } from 'class-validator';

interface FieldOptions {
  description: string;
  example?: unknown;
}

// DTOs check only JSON types, the way Go's json.Unmarshal does; a type mismatch is Heketi's 422.
// Heketi's own 400 rules (ranges, formats, their order and wording) live beside each service.

export const OptionalInt = ({ description, example }: FieldOptions) =>
  applyDecorators(IsOptional(), IsInt(), ApiPropertyOptional({ description, example, type: 'integer' }));

export const OptionalNumber = ({ description, example }: FieldOptions) =>
  applyDecorators(
    IsOptional(),
    IsNumber({ allowInfinity: false, allowNaN: false }),
    ApiPropertyOptional({ description, example, type: 'number' }),
  );

export const OptionalString = ({ description, example }: FieldOptions) =>
  applyDecorators(IsOptional(), IsString(), ApiPropertyOptional({ description, example, type: 'string' }));

export const OptionalBoolean = ({ description, example }: FieldOptions) =>
  applyDecorators(IsOptional(), IsBoolean(), ApiPropertyOptional({ description, example, type: 'boolean' }));

export const OptionalStringArray = ({ description, example }: FieldOptions) =>
  applyDecorators(
    IsOptional(),
    IsArray(),
    IsString({ each: true }),
    ApiPropertyOptional({ description, example, type: [String] }),
  );

export const OptionalNested = (type: () => new () => object, { description }: FieldOptions) =>
  applyDecorators(IsOptional(), IsObject(), ValidateNested(), Type(type), ApiPropertyOptional({ description, type }));
