import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { AppError } from './app-error.js';

function firstProblem(errors: ValidationError[], parent = ''): { field: string; messages: string[] } | null {
  for (const error of errors) {
    const field = parent === '' ? error.property : `${parent}.${error.property}`;
    const messages = Object.values(error.constraints ?? {});
    if (messages.length > 0) return { field, messages };
    const nested = firstProblem(error.children ?? [], field);
    if (nested !== null) return nested;
  }
  return null;
}

/**
 * One pipe validates REST bodies/queries and gRPC messages alike: unknown fields are refused,
 * wrong types are not coerced silently, and the error names the field.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const problem = firstProblem(errors);
      if (problem === null) return new AppError('VALIDATION_FAILED', 'The request is not valid');
      const message = problem.messages
        .map((m) => (m.startsWith('property ') ? `unknown field "${problem.field}": remove it` : m))
        .join('; ');
      return new AppError('VALIDATION_FAILED', message, problem.field);
    },
  });
}
