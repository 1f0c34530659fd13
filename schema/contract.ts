import {
  astFromValue,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isRequiredArgument,
  isRequiredInputField,
  isScalarType,
  isUnionType,
  Kind,
  print,
  type DefinitionNode,
  type DocumentNode,
  type FieldDefinitionNode,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLSchema,
} from 'graphql';

const kindNames: Partial<Record<DefinitionNode['kind'], string>> = {
  [Kind.SCALAR_TYPE_DEFINITION]: 'scalar',
  [Kind.OBJECT_TYPE_DEFINITION]: 'object type',
  [Kind.INTERFACE_TYPE_DEFINITION]: 'interface',
  [Kind.UNION_TYPE_DEFINITION]: 'union',
  [Kind.ENUM_TYPE_DEFINITION]: 'enum',
  [Kind.INPUT_OBJECT_TYPE_DEFINITION]: 'input type',
};

const defaultOf = (arg: GraphQLArgument) => {
  const ast = arg.defaultValue === undefined ? undefined : astFromValue(arg.defaultValue, arg.type);
  return ast ? print(ast) : undefined;
};

function fieldGaps(owner: string, expected: FieldDefinitionNode, actual: GraphQLField<unknown, unknown> | undefined): string[] {
  const where = `${owner}.${expected.name.value}`;
  if (!actual) return [`${where} is missing`];
  const gaps: string[] = [];
  if (print(expected.type) !== String(actual.type)) gaps.push(`${where} is ${String(actual.type)}, the contract says ${print(expected.type)}`);
  const expectedArgs = new Set((expected.arguments ?? []).map((arg) => arg.name.value));
  for (const arg of expected.arguments ?? []) {
    const found = actual.args.find((candidate) => candidate.name === arg.name.value);
    if (!found) {
      gaps.push(`${where}(${arg.name.value}:) is missing`);
      continue;
    }
    if (print(arg.type) !== String(found.type)) {
      gaps.push(`${where}(${arg.name.value}:) is ${String(found.type)}, the contract says ${print(arg.type)}`);
    }
    const expectedDefault = arg.defaultValue ? print(arg.defaultValue) : undefined;
    if (expectedDefault !== defaultOf(found)) {
      gaps.push(`${where}(${arg.name.value}:) defaults to ${defaultOf(found) ?? 'nothing'}, the contract says ${expectedDefault ?? 'nothing'}`);
    }
  }
  // A new required argument breaks every client that calls the field the contract's way.
  for (const arg of actual.args) {
    if (!expectedArgs.has(arg.name) && isRequiredArgument(arg)) gaps.push(`${where}(${arg.name}:) is required but not in the contract`);
  }
  return gaps;
}

function definitionGaps(definition: DefinitionNode, api: GraphQLSchema): string[] {
  const kind = kindNames[definition.kind];
  if (!kind || !('name' in definition) || !definition.name) return [];
  const name = definition.name.value;
  const type = api.getType(name);
  if (!type) return [`${kind} ${name} is missing`];

  switch (definition.kind) {
    case Kind.SCALAR_TYPE_DEFINITION:
      return isScalarType(type) ? [] : [`${name} should be a scalar`];
    case Kind.ENUM_TYPE_DEFINITION: {
      if (!isEnumType(type)) return [`${name} should be an enum`];
      return (definition.values ?? [])
        .filter((value) => !type.getValue(value.name.value))
        .map((value) => `${name}.${value.name.value} is missing`);
    }
    case Kind.UNION_TYPE_DEFINITION: {
      if (!isUnionType(type)) return [`${name} should be a union`];
      const members = new Set(type.getTypes().map((member) => member.name));
      return (definition.types ?? []).filter((member) => !members.has(member.name.value)).map((member) => `${name} | ${member.name.value} is missing`);
    }
    case Kind.OBJECT_TYPE_DEFINITION:
      if (!isObjectType(type)) return [`${name} should be an object type`];
      return (definition.fields ?? []).flatMap((field) => fieldGaps(name, field, type.getFields()[field.name.value]));
    case Kind.INTERFACE_TYPE_DEFINITION:
      if (!isInterfaceType(type)) return [`${name} should be an interface`];
      return (definition.fields ?? []).flatMap((field) => fieldGaps(name, field, type.getFields()[field.name.value]));
    case Kind.INPUT_OBJECT_TYPE_DEFINITION: {
      if (!isInputObjectType(type)) return [`${name} should be an input type`];
      const fields = type.getFields();
      const expected = new Set((definition.fields ?? []).map((field) => field.name.value));
      const gaps = (definition.fields ?? []).flatMap((field) => {
        const found = fields[field.name.value];
        if (!found) return [`${name}.${field.name.value} is missing`];
        return print(field.type) === String(found.type)
          ? []
          : [`${name}.${field.name.value} is ${String(found.type)}, the contract says ${print(field.type)}`];
      });
      // Clients build these inputs from the contract: a new required field would reject them.
      for (const field of Object.values(fields)) {
        if (!expected.has(field.name) && isRequiredInputField(field)) gaps.push(`${name}.${field.name} is required but not in the contract`);
      }
      return gaps;
    }
    default:
      return [];
  }
}

/**
 * What the contract promises that `api` does not keep: missing types, fields, arguments, enum
 * values, changed types or defaults, and new required inputs. Empty when the contract holds.
 */
export function contractGaps(contract: DocumentNode, api: GraphQLSchema): string[] {
  return contract.definitions.flatMap((definition) => definitionGaps(definition, api));
}
