// Validates emulator responses against GitHub's OpenAPI description (@octokit/openapi, api.github.com).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';
import formatsModule from 'ajv-formats';

type Json = Record<string, unknown>;

export interface OpenApiSpec {
  paths: Record<string, Record<string, { operationId?: string; responses: Record<string, Json> }>>;
  components: { schemas: Record<string, Json>; responses: Record<string, Json> };
}

const require = createRequire(import.meta.url);

/** Reads the api.github.com description shipped in @octokit/openapi. */
export function readOpenApiSpec(): OpenApiSpec {
  return JSON.parse(
    readFileSync(require.resolve('@octokit/openapi/generated/api.github.com.json'), 'utf8'),
  ) as OpenApiSpec;
}

/** How a response was judged. `undocumented` means the spec lists no such status for the operation. */
export interface ResponseCheck {
  documented: boolean;
  errors: string[];
}

export interface OpenApiValidator {
  spec: OpenApiSpec;
  /**
   * Validates a response body against the schema the spec gives for the operation and status. A status the
   * operation does not list, or lists without a body, is checked against `basic-error` when it is an error
   * with a body (GitHub's common error shape).
   */
  checkResponse(method: string, pathTemplate: string, status: number, body: unknown): ResponseCheck;
  /** Validates a value against one component schema. */
  checkComponent(name: string, value: unknown): string[];
  /** The property names a (possibly $ref'd) schema declares, following `allOf`. */
  propertyNames(schema: Json): string[];
  /** The schema of a property or array item inside a schema; undefined when unknown. */
  childSchema(schema: Json, key: string | number): Json | undefined;
  /** The JSON response schema of an operation and status, if any. */
  responseSchema(method: string, pathTemplate: string, status: number): Json | undefined;
}

/**
 * Builds a validator. GitHub's description is OpenAPI 3.0: Ajv 8 understands `nullable`, and `strict: false`
 * lets it ignore `example`, `x-github` and other non-JSON-Schema keywords. `patchComponents` lets a test
 * swap component schemas (for the documented `starter` state, see the OpenAPI test).
 */
export function createOpenApiValidator(
  spec: OpenApiSpec,
  patchComponents: (schemas: Record<string, Json>) => Record<string, Json> = (schemas) => schemas,
): OpenApiValidator {
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  (formatsModule as unknown as { default: (ajv: Ajv) => void }).default(ajv);
  ajv.addSchema({
    $id: 'gh',
    components: { ...spec.components, schemas: patchComponents(spec.components.schemas) },
  });
  const compiled = new Map<string, ValidateFunction>();

  const withBase = (schema: Json): Json =>
    JSON.parse(JSON.stringify(schema).replaceAll('"$ref":"#/', '"$ref":"gh#/')) as Json;
  const compile = (key: string, schema: Json): ValidateFunction => {
    let validate = compiled.get(key);
    if (validate === undefined) {
      validate = ajv.compile(withBase(schema));
      compiled.set(key, validate);
    }
    return validate;
  };
  const describe = (validate: ValidateFunction): string[] =>
    (validate.errors ?? []).map(
      (e) => `${e.instancePath || '/'} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`,
    );
  const resolve = (node: Json): Json => {
    let current = node;
    while (typeof current.$ref === 'string') {
      const pointer = (current.$ref as string).replace(/^#\//, '').split('/');
      let target: unknown = spec;
      for (const part of pointer) target = (target as Json)[part];
      current = target as Json;
    }
    return current;
  };

  const responseSchema = (method: string, pathTemplate: string, status: number): Json | undefined => {
    const response = responseOf(method, pathTemplate, status);
    const content = response?.content as Record<string, { schema?: Json }> | undefined;
    return content?.['application/json']?.schema;
  };
  const responseOf = (method: string, pathTemplate: string, status: number): Json | undefined => {
    const operation = spec.paths[pathTemplate]?.[method.toLowerCase()];
    if (operation === undefined) throw new Error(`the spec has no operation ${method} ${pathTemplate}`);
    const response = operation.responses[String(status)];
    return response === undefined ? undefined : resolve(response);
  };

  return {
    spec,
    checkResponse(method, pathTemplate, status, body) {
      const response = responseOf(method, pathTemplate, status);
      const schema = responseSchema(method, pathTemplate, status);
      if (schema !== undefined) {
        const validate = compile(`${method} ${pathTemplate} ${status}`, schema);
        return { documented: true, errors: validate(body) ? [] : describe(validate) };
      }
      if (status >= 400 && body !== undefined && body !== '') {
        const validate = compile('basic-error', { $ref: '#/components/schemas/basic-error' });
        return { documented: response !== undefined, errors: validate(body) ? [] : describe(validate) };
      }
      const errors =
        body === undefined || body === '' ? [] : [`the spec defines no body, got ${JSON.stringify(body)}`];
      return { documented: response !== undefined, errors };
    },
    checkComponent(name, value) {
      const validate = compile(`component ${name}`, { $ref: `#/components/schemas/${name}` });
      return validate(value) ? [] : describe(validate);
    },
    propertyNames(schema) {
      const node = resolve(schema);
      const own = Object.keys((node.properties as Json | undefined) ?? {});
      const inherited = ((node.allOf as Json[] | undefined) ?? []).flatMap((part) =>
        this.propertyNames(part),
      );
      return [...own, ...inherited];
    },
    childSchema(schema, key) {
      const node = resolve(schema);
      if (typeof key === 'number') return node.items === undefined ? undefined : resolve(node.items as Json);
      const direct = (node.properties as Record<string, Json> | undefined)?.[key];
      if (direct !== undefined) return resolve(direct);
      for (const part of (node.allOf as Json[] | undefined) ?? []) {
        const found = this.childSchema(part, key);
        if (found !== undefined) return found;
      }
      return undefined;
    },
    responseSchema,
  };
}
