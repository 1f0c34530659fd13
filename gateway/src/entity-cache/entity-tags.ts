import { entityTag, unidentifiedTag } from '@shopgraph/cache';
import { getNamedType, isAbstractType, isObjectType, type GraphQLNamedType, type GraphQLObjectType, type GraphQLSchema } from 'graphql';

/** An entity is an object type with an `id: ID` field, as the response cache's tags have it. */
const isEntity = (type: GraphQLObjectType) => {
  const id = type.getFields().id;
  return id !== undefined && getNamedType(id.type).name === 'ID';
};

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `Product:42` for a representation that carries its id; undefined when it does not (such an entity is not cached). */
export function representationTag(representation: Record<string, unknown>): string | undefined {
  const { __typename: typename, id } = representation;
  if (typeof typename !== 'string' || (typeof id !== 'string' && typeof id !== 'number')) return undefined;
  return entityTag(typename, String(id));
}

/**
 * The tags of the entities nested in an entity's fetched value (`order { id }` in a Payment):
 * a change to any of them purges the entry too. `Type:?` for a nested entity whose id the value
 * does not show (any change of its type purges it). Undefined when the value cannot be read
 * against `schema` (a field the API schema does not have, an abstract type without
 * `__typename`): such a value is not cached, since what it holds cannot be told.
 */
export function nestedTags(schema: GraphQLSchema, typename: string, value: Record<string, unknown>): string[] | undefined {
  const type = schema.getType(typename);
  if (!type || !isObjectType(type)) return undefined;
  const tags = new Set<string>();
  return walkFields(schema, type, value, tags) ? [...tags] : undefined;
}

function walkFields(schema: GraphQLSchema, type: GraphQLObjectType, value: Record<string, unknown>, tags: Set<string>): boolean {
  const fields = type.getFields();
  for (const key in value) {
    const fieldValue = value[key];
    if (fieldValue === null || typeof fieldValue !== 'object') continue;
    // An object under a key that is no field of the type (an alias, an inaccessible field): unknown.
    const field = fields[key];
    if (!field || !walkValue(schema, getNamedType(field.type), fieldValue, tags)) return false;
  }
  return true;
}

function walkValue(schema: GraphQLSchema, type: GraphQLNamedType, value: unknown, tags: Set<string>): boolean {
  if (Array.isArray(value)) return value.every((item) => walkValue(schema, type, item, tags));
  if (!isRecord(value)) return true;
  let concrete: GraphQLNamedType | undefined = type;
  if (isAbstractType(type)) concrete = typeof value.__typename === 'string' ? schema.getType(value.__typename) : undefined;
  if (!concrete || !isObjectType(concrete)) return false;
  if (isEntity(concrete)) {
    const id = value.id;
    tags.add(typeof id === 'string' || typeof id === 'number' ? entityTag(concrete.name, String(id)) : unidentifiedTag(concrete.name));
  }
  return walkFields(schema, concrete, value, tags);
}
