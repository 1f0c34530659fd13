import {
  getNamedType,
  getNullableType,
  isAbstractType,
  isCompositeType,
  isListType,
  isObjectType,
  Kind,
  valueFromAST,
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

/** The entities a response holds, found by walking the operation over the response data. */
export interface ResponseEntities {
  /** `Product:42` for each entity whose id the response shows or whose lookup argument names it. */
  identified: Set<string>;
  /** Type names of entities whose id is known neither way. */
  unidentified: Set<string>;
  /** Type names of every entity present. */
  types: Set<string>;
  /** Root fields that return lists or Relay connections (`products`). */
  listRoots: Set<string>;
}

export interface OperationResult {
  schema: GraphQLSchema;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  variables: Record<string, unknown> | undefined;
  data: Record<string, unknown> | null | undefined;
}

/** An entity is an object type with an `id: ID` field: Product, User, Order, Payment. */
function isEntity(type: GraphQLObjectType): boolean {
  const id = type.getFields().id;
  return id !== undefined && getNamedType(id.type).name === 'ID';
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/**
 * Walks `operation` over its response `data` and names every entity in it. The id of an entity
 * is the `id` field it shows (under any alias); failing that, the `id` argument of the field
 * that returned it when that field returns the entity itself (`product(id: "42")`, which is
 * also how a lookup answered with null is tied to its entity). Where the concrete type of a
 * value cannot be known (an abstract type without `__typename`), every possible type is walked:
 * the tags found are then a superset of the true ones, which over-purges but never misses.
 */
export function entitiesOf({ schema, document, operation, variables = {}, data }: OperationResult): ResponseEntities {
  const found: ResponseEntities = { identified: new Set(), unidentified: new Set(), types: new Set(), listRoots: new Set() };
  const rootType = schema.getRootType(operation.operation);
  if (!rootType || !data) return found;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }

  const applies = (condition: string | undefined, type: GraphQLObjectType): boolean => {
    if (condition === undefined || condition === type.name) return true;
    const conditionType = schema.getType(condition);
    return conditionType !== undefined && isAbstractType(conditionType) && schema.isSubType(conditionType, type);
  };

  /** The fields selected on `type`, by response key, fragments resolved. */
  const collectFields = (type: GraphQLObjectType, selectionSets: readonly SelectionSetNode[]) => {
    const fields = new Map<string, FieldNode[]>();
    const visit = (selectionSet: SelectionSetNode) => {
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) {
          const key = selection.alias?.value ?? selection.name.value;
          fields.set(key, [...(fields.get(key) ?? []), selection]);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          if (applies(selection.typeCondition?.name.value, type)) visit(selection.selectionSet);
        } else {
          const fragment = fragments.get(selection.name.value);
          if (fragment && applies(fragment.typeCondition.name.value, type)) visit(fragment.selectionSet);
        }
      }
    };
    for (const selectionSet of selectionSets) visit(selectionSet);
    return fields;
  };

  /** The `id` argument of `node` when `field` returns the entity itself, not a list of them. */
  const idArgument = (field: GraphQLField<unknown, unknown>, node: FieldNode): string | undefined => {
    const returned = getNullableType(field.type);
    if (!isObjectType(returned) || !isEntity(returned)) return undefined;
    const definition = field.args.find((arg) => arg.name === 'id');
    const argument = node.arguments?.find((arg) => arg.name.value === 'id');
    if (!definition || !argument || getNamedType(definition.type).name !== 'ID') return undefined;
    const value: unknown = valueFromAST(argument.value, definition.type, variables);
    return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
  };

  const concreteTypes = (type: GraphQLCompositeType, value: Record<string, unknown>, selectionSets: readonly SelectionSetNode[]) => {
    if (isObjectType(type)) return [type];
    // __typename under whatever alias the operation gave it; without one, every possible type.
    for (const selectionSet of selectionSets) {
      for (const selection of selectionSet.selections) {
        if (selection.kind !== Kind.FIELD || selection.name.value !== '__typename') continue;
        const named = schema.getType(String(value[selection.alias?.value ?? '__typename']));
        if (named && isObjectType(named)) return [named];
      }
    }
    return schema.getPossibleTypes(type);
  };

  const visitObject = (type: GraphQLObjectType, value: Record<string, unknown>, selectionSets: readonly SelectionSetNode[], idFromArgument?: string) => {
    let id: string | undefined;
    for (const [key, nodes] of collectFields(type, selectionSets)) {
      const node = nodes[0]!;
      const field = type.getFields()[node.name.value];
      if (!field) continue; // __typename and other meta fields
      const fieldValue = value[key];
      if (node.name.value === 'id' && (typeof fieldValue === 'string' || typeof fieldValue === 'number')) id = String(fieldValue);
      const returned = getNamedType(field.type);
      if (!isCompositeType(returned)) continue;
      if (type === rootType && (isListType(getNullableType(field.type)) || (isObjectType(returned) && 'edges' in returned.getFields()))) {
        found.listRoots.add(node.name.value);
      }
      const childSelections = nodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : []));
      visitValue(returned, fieldValue, childSelections, idArgument(field, node));
    }
    if (!isEntity(type)) return;
    found.types.add(type.name);
    const entityId = id ?? idFromArgument;
    if (entityId === undefined) found.unidentified.add(type.name);
    else found.identified.add(`${type.name}:${entityId}`);
  };

  const visitValue = (type: GraphQLCompositeType, value: unknown, selectionSets: readonly SelectionSetNode[], idFromArgument?: string) => {
    if (Array.isArray(value)) {
      for (const item of value) visitValue(type, item, selectionSets);
      return;
    }
    if (!isRecord(value)) {
      // A lookup answered with null still concerns its entity: creating or deleting it changes the answer.
      if (value === null && idFromArgument !== undefined) found.identified.add(`${type.name}:${idFromArgument}`);
      return;
    }
    for (const concrete of concreteTypes(type, value, selectionSets)) visitObject(concrete, value, selectionSets, idFromArgument);
  };

  visitObject(rootType, data, [operation.selectionSet]);
  return found;
}
