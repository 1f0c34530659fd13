import type { ApolloServerPlugin, BaseContext, GraphQLRequestContextWillSendResponse } from '@apollo/server';
import {
  getArgumentValues,
  getNamedType,
  isCompositeType,
  isObjectType,
  Kind,
  type ConstDirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/*
 * Apollo Server's cache-control plugin decides a response's `cache-control` per resolved field:
 * it wraps every resolver of the schema (the wrapper, its `willResolveField` and the settling of
 * each result: the subgraphs spent 15 % less CPU on the deep read without them, measured against
 * them in one run). A subgraph's hints are all static (`@cacheControl` on types and fields; no
 * resolver sets a dynamic hint, and `_entities` restricts by each representation's type, which its
 * variables name), so the policy is a function of the operation alone, worked out once per
 * document and set of entity types with the same rules, and remembered.
 *
 * It walks every field the operation selects, where Apollo counts the fields it resolved: a field
 * under a null, an empty list or a `@skip` counts here and not there. The answer can only be as
 * restrictive or more (a shorter max-age, PRIVATE where Apollo said PUBLIC), never laxer.
 */

/** A cache hint, as Apollo's `CachePolicy` takes it. */
export interface CacheHint {
  maxAge?: number;
  scope?: 'PUBLIC' | 'PRIVATE';
}

type Hint = CacheHint & { inheritMaxAge?: boolean };

/** The hint a `@cacheControl` among `directives` gives, read as Apollo's `cacheAnnotationFromDirectives` reads it. */
function hintOf(directives: readonly ConstDirectiveNode[] | undefined): Hint | undefined {
  const directive = directives?.find((d) => d.name.value === 'cacheControl');
  if (!directive?.arguments) return undefined;
  const argument = (name: string) => directive.arguments?.find((a) => a.name.value === name)?.value;
  const scopeValue = argument('scope');
  const scopeName = scopeValue?.kind === Kind.ENUM ? scopeValue.value : undefined;
  const scope = scopeName === 'PUBLIC' || scopeName === 'PRIVATE' ? scopeName : undefined;
  const inherit = argument('inheritMaxAge');
  if (inherit?.kind === Kind.BOOLEAN && inherit.value) return { inheritMaxAge: true, scope };
  const maxAge = argument('maxAge');
  return { maxAge: maxAge?.kind === Kind.INT ? parseInt(maxAge.value, 10) : undefined, scope };
}

function typeHint(type: GraphQLCompositeType): Hint {
  for (const node of [type.astNode, ...type.extensionASTNodes]) {
    const hint = hintOf(node?.directives);
    if (hint) return hint;
  }
  return {};
}

const fieldHint = (field: GraphQLField<unknown, unknown>): Hint => hintOf(field.astNode?.directives) ?? {};

/** Apollo's `CachePolicy.replace`. */
function replace(policy: Hint, hint: Hint) {
  if (hint.maxAge !== undefined) policy.maxAge = hint.maxAge;
  if (hint.scope !== undefined) policy.scope = hint.scope;
}

/** Apollo's `CachePolicy.restrict`. */
function restrict(policy: Hint, hint: Hint) {
  if (hint.maxAge !== undefined && (policy.maxAge === undefined || hint.maxAge < policy.maxAge)) policy.maxAge = hint.maxAge;
  if (hint.scope !== undefined && policy.scope !== 'PRIVATE') policy.scope = hint.scope;
}

const ENTITIES = '_entities';

/** The types whose entities `_entities` is asked for, as its `representations` name them. */
function entityTypesOf(schema: GraphQLSchema, field: GraphQLField<unknown, unknown>, node: FieldNode, variables: Record<string, unknown>) {
  const types = new Set<GraphQLCompositeType>();
  let representations: unknown;
  try {
    ({ representations } = getArgumentValues(field, node, variables));
  } catch {
    // Variables the execution will refuse with its own error: none of its entities is answered.
    return types;
  }
  for (const representation of Array.isArray(representations) ? (representations as { __typename?: unknown }[]) : []) {
    const type = typeof representation?.__typename === 'string' ? schema.getType(representation.__typename) : undefined;
    if (type && isCompositeType(type)) types.add(type);
  }
  return types;
}

/** The object types a value of `type` can be: itself, or the possible types of an interface or union. */
const objectTypesOf = (schema: GraphQLSchema, type: GraphQLCompositeType): readonly GraphQLObjectType[] =>
  isObjectType(type) ? [type] : schema.getPossibleTypes(type);

class PolicyWalk {
  readonly policy: Hint = {};

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly fragments: Map<string, FragmentDefinitionNode>,
    private readonly variables: Record<string, unknown>,
  ) {}

  /** `selectionSet` on a value of `parentType`; `root` for the operation's own fields. */
  walk(parentType: GraphQLObjectType, selectionSet: SelectionSetNode, root: boolean) {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        this.field(parentType, selection, root);
        continue;
      }
      const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : this.fragments.get(selection.name.value);
      if (!fragment) continue;
      const condition = fragment.typeCondition && this.schema.getType(fragment.typeCondition.name.value);
      const applies = !condition || condition === parentType || (isCompositeType(condition) && !isObjectType(condition) && this.schema.isSubType(condition, parentType));
      if (applies) this.walk(parentType, fragment.selectionSet, root);
    }
  }

  /** Apollo's `willResolveField` and the callback it returns, for one selected field. */
  private field(parentType: GraphQLObjectType, node: FieldNode, root: boolean) {
    // Apollo wraps the fields of the schema's own types: introspection (`__typename`, …) adds nothing.
    if (node.name.value.startsWith('__')) return;
    const field = parentType.getFields()[node.name.value];
    if (!field) return;
    const target = getNamedType(field.type);
    const composite = isCompositeType(target);
    const policy: Hint = {};
    let inheritMaxAge = false;
    if (composite) {
      const hint = typeHint(target);
      replace(policy, hint);
      inheritMaxAge = !!hint.inheritMaxAge;
    }
    const hint = fieldHint(field);
    if (hint.inheritMaxAge && policy.maxAge === undefined) {
      inheritMaxAge = true;
      if (hint.scope) replace(policy, { scope: hint.scope });
    } else {
      replace(policy, hint);
    }
    // @apollo/subgraph's `_entities` restricts its policy by each representation's type, and its
    // entities are of those types only.
    const entityTypes = root && node.name.value === ENTITIES ? entityTypesOf(this.schema, field, node, this.variables) : undefined;
    for (const type of entityTypes ?? []) restrict(policy, typeHint(type));
    if (policy.maxAge === undefined && ((composite && !inheritMaxAge) || root)) restrict(policy, { maxAge: 0 });
    restrict(this.policy, { maxAge: policy.maxAge, scope: policy.scope });
    if (!composite || !node.selectionSet) return;
    const runtimeTypes = entityTypes ? [...entityTypes].flatMap((type) => objectTypesOf(this.schema, type)) : objectTypesOf(this.schema, target);
    for (const type of new Set(runtimeTypes)) this.walk(type, node.selectionSet, false);
  }
}

/** The policy of `operation`, as Apollo's cache-control plugin would reach it with every selected field resolved. */
export function staticCachePolicy(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>): CacheHint {
  const rootType = schema.getRootType(operation.operation);
  if (!rootType) return { maxAge: 0 };
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const walk = new PolicyWalk(schema, fragments, variables);
  walk.walk(rootType, operation.selectionSet, true);
  return { maxAge: walk.policy.maxAge, scope: walk.policy.scope };
}

/**
 * What the policy of one document depends on besides it: the operation, and the entity types each
 * list variable names (`_entities(representations: $representations)`, under whatever name).
 */
function variantOf(operation: OperationDefinitionNode, variables: Record<string, unknown>): string {
  let variant = operation.name?.value ?? '';
  for (const [name, value] of Object.entries(variables)) {
    if (!Array.isArray(value)) continue;
    const typenames = new Set<string>();
    for (const item of value) {
      const typename = (item as { __typename?: unknown } | null)?.__typename;
      if (typeof typename === 'string') typenames.add(typename);
    }
    variant += `\n${name}=${[...typenames].sort().join(',')}`;
  }
  return variant;
}

/** Apollo's header for a policy: `max-age=N, public|private` when cacheable and without errors, else `no-store`. */
function setHeader(requestContext: GraphQLRequestContextWillSendResponse<BaseContext>) {
  const { response, overallCachePolicy } = requestContext;
  const cacheable = overallCachePolicy.policyIfCacheable();
  const ok = response.body.kind === 'single' && !response.body.singleResult.errors;
  response.http.headers.set('cache-control', cacheable && ok ? `max-age=${cacheable.maxAge}, ${cacheable.scope.toLowerCase()}` : 'no-store');
}

/**
 * Apollo Server's cache-control plugin with the policy worked out per operation rather than per
 * resolved field: pass `ApolloServerPluginCacheControlDisabled()` beside it. Memoised per parsed
 * document (Apollo keeps one per query text) and per set of entity types asked for.
 */
export function staticCacheControl<Context extends BaseContext>(): ApolloServerPlugin<Context> {
  const policies = new WeakMap<DocumentNode, Map<string, CacheHint>>();
  return {
    async requestDidStart() {
      return {
        async executionDidStart({ schema, document, operation, request, overallCachePolicy }) {
          const variables = request.variables ?? {};
          let byVariant = policies.get(document);
          if (!byVariant) {
            byVariant = new Map();
            policies.set(document, byVariant);
          }
          const variant = variantOf(operation, variables);
          let policy = byVariant.get(variant);
          if (!policy) {
            policy = staticCachePolicy(schema, document, operation, variables);
            byVariant.set(variant, policy);
          }
          overallCachePolicy.restrict(policy);
        },
        async willSendResponse(requestContext) {
          setHeader(requestContext as GraphQLRequestContextWillSendResponse<BaseContext>);
        },
      };
    },
  };
}
