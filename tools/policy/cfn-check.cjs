#!/usr/bin/env node
// Offline check of a CloudFormation JSON template against AWS's own resource
// database (@aws-cdk/aws-service-spec, the one the CDK is generated from).
// `serverless package` does not validate what it emits, and CloudFormation only
// rejects a template at deploy time, half-way through a stack update; this
// catches the same mistakes before that: unknown resource types and (nested)
// property names, missing required properties, literal values of the wrong
// type, and Ref / Fn::GetAtt / Fn::Sub / Fn::If / Fn::FindInMap / DependsOn /
// Condition naming something the template does not define. Plus one house
// rule: every Lambda runs on Node.js 22 or newer.
//
// It does not evaluate intrinsics (an Fn::Join or Fn::ImportValue is accepted
// wherever a value is), so it cannot see values that only exist at deploy time.
//
//   node tools/policy/cfn-check.cjs <template.json>...
//     exit 1 listing the problems, or exit 0 with a one-line summary per template
//   require('./cfn-check.cjs').checkTemplate(template) -> string[] of problems
'use strict';
const fs = require('node:fs');
const { loadAwsServiceSpecSync } = require('@aws-cdk/aws-service-spec');

// Loading the database takes ~0.4 s: do it on first use, not on require.
let database;
const db = () => (database ??= loadAwsServiceSpecSync());

const SECTIONS = new Set(['AWSTemplateFormatVersion', 'Description', 'Metadata', 'Parameters', 'Rules', 'Mappings',
  'Conditions', 'Transform', 'Resources', 'Outputs']);
const RESOURCE_KEYS = new Set(['Type', 'Properties', 'DependsOn', 'Condition', 'Metadata', 'DeletionPolicy',
  'UpdateReplacePolicy', 'UpdatePolicy', 'CreationPolicy']);
const OUTPUT_KEYS = new Set(['Description', 'Value', 'Export', 'Condition']);
const PSEUDO_PARAMETERS = new Set(['AWS::AccountId', 'AWS::NotificationARNs', 'AWS::NoValue', 'AWS::Partition',
  'AWS::Region', 'AWS::StackId', 'AWS::StackName', 'AWS::URLSuffix']);
// Fn::Length, Fn::ToJsonString and Fn::ForEach need the AWS::LanguageExtensions transform.
const FUNCTIONS = new Set(['Fn::Base64', 'Fn::Cidr', 'Fn::FindInMap', 'Fn::GetAtt', 'Fn::GetAZs', 'Fn::ImportValue',
  'Fn::Join', 'Fn::Select', 'Fn::Split', 'Fn::Sub', 'Fn::Transform', 'Fn::If', 'Fn::Equals', 'Fn::And', 'Fn::Or',
  'Fn::Not', 'Fn::Length', 'Fn::ToJsonString', 'Fn::ForEach']);

// House rule: Node.js 22 or newer. Older Node runtimes are deprecated or close
// to it, and our bundles are built for node22 (esbuild `target`), which an
// older runtime may not run. The Runtime must be a literal: we ship zips, not
// container images, so a function without one is a mistake too.
const MIN_NODE_MAJOR = 22;

const isObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);
// { "Ref": ... } or { "Fn::X": ... }: its value is only known at deploy time.
const isIntrinsic = (value) => {
  if (!isObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'));
};
const show = (value) => JSON.stringify(value);
const isCustom = (type) => type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';
const resourceSpec = (type) => db().lookup('resource', 'cloudFormationType', 'equals', type)[0];

/** Problems with one Lambda function's Runtime, as "message" strings (empty when fine). */
function runtimeProblems(properties = {}) {
  const runtime = properties.Runtime;
  const major = /^nodejs(\d+)\.x$/.exec(typeof runtime === 'string' ? runtime : '')?.[1];
  if (major !== undefined && Number(major) >= MIN_NODE_MAJOR) return [];
  return [`Runtime ${runtime === undefined ? 'is missing' : show(runtime)}: must be nodejs${MIN_NODE_MAJOR}.x or newer`];
}

const typeName = (type) =>
  type.type === 'ref' ? db().get('typeDefinition', type.reference.$ref).name
    : type.type === 'array' ? `${typeName(type.element)}[]` : type.type;

/** Problems with a literal value against a property type from the database, as "path: message". */
function valueProblems(value, type, path) {
  if (value === undefined || isIntrinsic(value)) return [];
  const wrong = (expected) => [`${path}: expected ${expected}, got ${show(value)}`];
  switch (type.type) {
    case 'string':
      // CloudFormation turns numbers and booleans into strings where one is expected.
      if (!['string', 'number', 'boolean'].includes(typeof value)) return wrong('a string');
      if (type.allowedValues && !type.allowedValues.includes(String(value))) return wrong(`one of ${type.allowedValues.join(' | ')}`);
      return [];
    case 'integer':
    case 'number': // ... and numeric strings into numbers.
      return typeof value === 'number' || (typeof value === 'string' && value.trim() !== '' && !isNaN(Number(value)))
        ? [] : wrong(type.type === 'integer' ? 'an integer' : 'a number');
    case 'boolean':
      return [true, false, 'true', 'false'].includes(value) ? [] : wrong('a boolean');
    case 'array':
      return Array.isArray(value) ? value.flatMap((item, i) => valueProblems(item, type.element, `${path}/${i}`)) : wrong('an array');
    case 'map':
      return isObject(value)
        ? Object.entries(value).flatMap(([key, item]) => valueProblems(item, type.element, `${path}/${key}`)) : wrong('an object');
    case 'ref': {
      const definition = db().get('typeDefinition', type.reference.$ref);
      return isObject(value) ? propertyProblems(value, definition.properties, path, definition.name) : wrong(`an object (${definition.name})`);
    }
    case 'union':
      return type.types.some((member) => valueProblems(value, member, path).length === 0)
        ? [] : [`${path}: expected ${type.types.map(typeName).join(' or ')}, got ${show(value)}`];
    default: // json, tag: anything goes
      return [];
  }
}

/** Unknown and missing properties of an object, then each value's type. */
function propertyProblems(object, properties, path, typeName) {
  const problems = [];
  for (const [name, value] of Object.entries(object)) {
    if (!(name in properties)) problems.push(`${path}/${name}: unknown property of ${typeName}`);
    else problems.push(...valueProblems(value, properties[name].type, `${path}/${name}`));
  }
  for (const [name, property] of Object.entries(properties)) {
    if (property.required && !(name in object)) problems.push(`${path}: missing required property ${name} of ${typeName}`);
  }
  return problems;
}

/** Checks a parsed CloudFormation template; returns its problems as "path: message" strings. */
function checkTemplate(template) {
  if (!isObject(template)) return ['template: not a JSON object'];
  const problems = [];
  const report = (path, message) => problems.push(`${path}: ${message}`);
  for (const key of Object.keys(template)) if (!SECTIONS.has(key)) report(key, 'unknown top-level section');

  const resources = isObject(template.Resources) ? template.Resources : {};
  if (Object.keys(resources).length === 0) report('Resources', 'missing: a template needs at least one resource');
  const parameters = template.Parameters ?? {};
  const conditions = template.Conditions ?? {};
  const mappings = template.Mappings ?? {};
  // With a transform (e.g. SAM) resource types are expanded by CloudFormation: do not judge them.
  const transformed = template.Transform !== undefined;

  const specs = {}; // logical id -> database entry, for the resources we can check
  for (const [id, resource] of Object.entries(resources)) {
    const at = `Resources/${id}`;
    if (!/^[A-Za-z0-9]+$/.test(id)) report(at, 'logical ID must be alphanumeric');
    if (!isObject(resource)) { report(at, 'not an object'); continue; }
    for (const key of Object.keys(resource)) if (!RESOURCE_KEYS.has(key)) report(at, `unknown resource attribute ${key}`);
    for (const dependency of [resource.DependsOn ?? []].flat()) {
      if (!(dependency in resources)) report(`${at}/DependsOn`, `no resource ${show(dependency)}`);
    }
    if (resource.Condition !== undefined && !(resource.Condition in conditions)) report(`${at}/Condition`, `no condition ${show(resource.Condition)}`);
    if (typeof resource.Type !== 'string') { report(at, 'missing Type'); continue; }
    if (isCustom(resource.Type)) continue;
    const spec = resourceSpec(resource.Type);
    if (spec) specs[id] = spec;
    else if (!transformed) report(`${at}/Type`, `unknown resource type ${resource.Type}`);
  }

  // An attribute of a resource we know, as named by Fn::GetAtt or ${Resource.Attribute} in Fn::Sub.
  const checkAttribute = (path, id, attribute) => {
    if (!(id in resources)) return report(path, `no resource ${show(id)}`);
    const spec = specs[id];
    if (!spec || typeof attribute !== 'string' || attribute in spec.attributes) return;
    // A nested stack's outputs are Outputs.<Name>, which the database lists as Outputs.
    if (spec.cloudFormationType === 'AWS::CloudFormation::Stack' && attribute.startsWith('Outputs.')) return;
    report(path, `${spec.cloudFormationType} has no attribute ${show(attribute)} (has ${Object.keys(spec.attributes).join(', ')})`);
  };

  // Names used by intrinsic functions anywhere below `node`. In the Conditions
  // section { "Condition": name } is a reference; elsewhere a "Condition" key
  // is ordinary data (an IAM statement's condition block, say).
  const checkReferences = (node, path, inConditions = false) => {
    if (Array.isArray(node)) return node.forEach((item, i) => checkReferences(item, `${path}/${i}`, inConditions));
    if (!isObject(node)) return;
    for (const [key, value] of Object.entries(node)) {
      const at = `${path}/${key}`;
      if (key === 'Ref') {
        if (typeof value !== 'string') report(at, 'Ref takes a logical ID or parameter name');
        else if (!(value in resources) && !(value in parameters) && !PSEUDO_PARAMETERS.has(value)) report(at, `no resource or parameter ${show(value)}`);
      } else if (key.startsWith('Fn::') && !FUNCTIONS.has(key)) {
        report(at, 'unknown intrinsic function');
      } else if (key === 'Fn::GetAtt') {
        const [id, ...rest] = Array.isArray(value) ? value : String(value).split('.');
        checkAttribute(at, id, Array.isArray(value) ? rest[0] : rest.join('.'));
      } else if (key === 'Fn::Sub') {
        const [text, variables = {}] = Array.isArray(value) ? value : [value];
        // ${Name} or ${Resource.Attribute}; ${!Literal} is an escaped, literal "${Literal}".
        for (const [, name] of typeof text === 'string' ? text.matchAll(/\$\{([^!}][^}]*)\}/g) : []) {
          const [id, ...rest] = name.trim().split('.');
          if (name.trim() in variables || name.trim() in parameters || PSEUDO_PARAMETERS.has(name.trim())) continue;
          if (rest.length) checkAttribute(at, id, rest.join('.'));
          else if (!(id in resources)) report(at, `\${${name}} names no resource, parameter or variable`);
        }
      } else if (key === 'Fn::If' || (key === 'Condition' && inConditions)) {
        const condition = key === 'Fn::If' ? (Array.isArray(value) ? value[0] : undefined) : value;
        if (typeof condition !== 'string' || !(condition in conditions)) report(at, `no condition ${show(condition)}`);
      } else if (key === 'Fn::FindInMap') {
        const map = Array.isArray(value) ? value[0] : undefined;
        if (typeof map === 'string' && !(map in mappings)) report(at, `no mapping ${show(map)}`);
      }
      checkReferences(value, at, inConditions);
    }
  };
  for (const [id, resource] of Object.entries(resources)) {
    if (isObject(resource)) checkReferences(resource.Properties, `Resources/${id}/Properties`);
  }
  checkReferences(conditions, 'Conditions', true);

  const exportNames = new Set();
  for (const [id, output] of Object.entries(template.Outputs ?? {})) {
    const at = `Outputs/${id}`;
    if (!/^[A-Za-z0-9]+$/.test(id)) report(at, 'logical ID must be alphanumeric');
    if (!isObject(output)) { report(at, 'not an object'); continue; }
    for (const key of Object.keys(output)) if (!OUTPUT_KEYS.has(key)) report(at, `unknown output key ${key}`);
    if (output.Value === undefined) report(at, 'missing Value');
    if (output.Condition !== undefined && !(output.Condition in conditions)) report(`${at}/Condition`, `no condition ${show(output.Condition)}`);
    if (output.Export !== undefined) {
      const name = output.Export?.Name;
      if (name === undefined) report(`${at}/Export`, 'missing Name');
      // Export names must be unique in the region; within one template we can tell.
      else if (typeof name === 'string' && exportNames.has(name)) report(`${at}/Export/Name`, `${show(name)} is exported twice`);
      exportNames.add(name);
    }
    checkReferences({ Value: output.Value, Export: output.Export }, at);
  }

  for (const [id, spec] of Object.entries(specs)) {
    const properties = resources[id].Properties ?? {};
    const at = `Resources/${id}/Properties`;
    if (!isObject(properties)) { report(at, 'not an object'); continue; }
    problems.push(...propertyProblems(properties, spec.properties, at, spec.cloudFormationType));
    if (spec.cloudFormationType === 'AWS::Lambda::Function') for (const problem of runtimeProblems(properties)) report(`${at}/Runtime`, problem);
  }
  return problems;
}

module.exports = { checkTemplate, runtimeProblems, MIN_NODE_MAJOR };

if (require.main === module) {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error('usage: node tools/policy/cfn-check.cjs <template.json>...');
    process.exit(2);
  }
  let failed = false;
  for (const file of files) {
    let template;
    let problems;
    try {
      template = JSON.parse(fs.readFileSync(file, 'utf8'));
      problems = checkTemplate(template);
    } catch (error) {
      problems = [`cannot read: ${error.message}`];
    }
    if (problems.length === 0) {
      const resources = Object.keys(template.Resources).length;
      const types = new Set(Object.values(template.Resources).map((resource) => resource.Type)).size;
      console.log(`${file}: ok (${resources} resources of ${types} types, ${Object.keys(template.Outputs ?? {}).length} outputs)`);
    } else {
      failed = true;
      for (const problem of problems) console.error(`${file}: ${problem}`);
    }
  }
  process.exitCode = failed ? 1 : 0;
}
