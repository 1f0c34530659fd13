import {
  getArgumentValues,
  Kind,
  OperationTypeNode,
  visit,
  type DocumentNode,
  type FieldNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type VariableDefinitionNode,
} from 'graphql';
import type { LiveField } from './live-fields.js';

/** The variable that carries the entity's id in the query a subscription re-runs. */
export const ENTITY_ID_VARIABLE = 'shopgraphEntityId';

/** A subscription operation, read: its one root field and what to run for each entity it watches. */
export interface EntitySubscription {
  field: string;
  live: LiveField;
  /** The ids watched, in the order given, without repeats. */
  ids: string[];
  /** `query { <responseKey>: <queryField>(id: $shopgraphEntityId) { …the subscription's selection } }` and its fragments. */
  query: DocumentNode;
  /** The key the client reads the entity under (the alias, or the field's name). */
  responseKey: string;
}

/**
 * Reads a validated subscription operation: its single root field must be one of `liveFields`.
 * The query it returns selects exactly what the subscription selected (fragments, directives and
 * variables included), from the Query field that reads one entity, so each push is a normal
 * federated read as the subscriber.
 */
export function entitySubscriptionOf(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  liveFields: Readonly<Record<string, LiveField>>,
): EntitySubscription | null {
  const root = operation.selectionSet.selections[0];
  if (operation.selectionSet.selections.length !== 1 || root?.kind !== Kind.FIELD) return null;
  const live = Object.hasOwn(liveFields, root.name.value) ? liveFields[root.name.value] : undefined;
  const definition = schema.getSubscriptionType()?.getFields()[root.name.value];
  if (!live || !definition) return null;
  const ids = [...new Set(live.idsOf(getArgumentValues(definition, root, variables)))];
  const responseKey = root.alias?.value ?? root.name.value;
  const entityField: FieldNode = {
    ...root,
    alias: { kind: Kind.NAME, value: responseKey },
    name: { kind: Kind.NAME, value: live.queryField },
    arguments: [
      {
        kind: Kind.ARGUMENT,
        name: { kind: Kind.NAME, value: 'id' },
        value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: ENTITY_ID_VARIABLE } },
      },
    ],
  };
  const idVariable: VariableDefinitionNode = {
    kind: Kind.VARIABLE_DEFINITION,
    variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: ENTITY_ID_VARIABLE } },
    type: { kind: Kind.NON_NULL_TYPE, type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'ID' } } },
  };
  const fragments = document.definitions.filter((definition) => definition.kind === Kind.FRAGMENT_DEFINITION);
  const draft: OperationDefinitionNode = {
    ...operation,
    operation: OperationTypeNode.QUERY,
    selectionSet: { ...operation.selectionSet, selections: [entityField] },
    variableDefinitions: [idVariable],
  };
  // The subscription's own variables that its selection still uses (the ids argument's no longer).
  const used = new Set<string>();
  visit({ kind: Kind.DOCUMENT, definitions: [draft, ...fragments] }, { Variable: (node) => void used.add(node.name.value) });
  const kept = (operation.variableDefinitions ?? []).filter((variable) => used.has(variable.variable.name.value));
  const query: DocumentNode = { kind: Kind.DOCUMENT, definitions: [{ ...draft, variableDefinitions: [idVariable, ...kept] }, ...fragments] };
  return { field: root.name.value, live, ids, query, responseKey };
}
