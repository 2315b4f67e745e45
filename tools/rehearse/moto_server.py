"""moto_server with three fixes to its CloudFormation layer (moto 5.2.1), for the deploy rehearsal.

Run as `python3 moto_server.py -p <port>` (the arguments of `moto_server`). Each
fix below names the moto behaviour it corrects; tools/rehearse/test/test_moto_server.py
shows each behaviour fixed. Nothing else of moto is changed.

Every resource type moto's CloudFormation skips ("No Moto CloudFormation support
for <type>") is also printed as one line `rehearse:skipped <type>` on stderr,
where the rehearsal reads it.
"""

import logging
import sys

from moto.cloudformation.models import CloudFormationBackend
from moto.server import main as moto_main

SKIPPED_PREFIX = "No Moto CloudFormation support for "


# Fix 1. moto's ValidateTemplate runs cfn-lint and rejects the template on its
# first finding of any level: a warning (W…) or an informational note (I…)
# fails the deploy, where CloudFormation accepts the template. Keep rejecting
# cfn-lint errors (E…) only.
_validate_template = CloudFormationBackend.validate_template


def validate_template(self, template):
    return [match for match in _validate_template(self, template) if match.rule.id.startswith("E")]


# Fix 2. A stack created through a change set (ChangeSetType CREATE, how
# `serverless deploy` creates every stack) is built without the region's
# export table, so its Fn::ImportValue never finds another stack's export
# ("No export named … found" although it exists). Give it the table.
_create_change_set = CloudFormationBackend.create_change_set


def create_change_set(self, *args, **kwargs):
    change_set_id, stack_id = _create_change_set(self, *args, **kwargs)
    stack = self.stacks[stack_id]
    stack.cross_stack_resources = self.exports
    stack.resource_map.cross_stack_resources = self.exports
    return change_set_id, stack_id


# Fix 3. Executing a change set applies its resources but neither rebuilds the
# stack's outputs from the new template nor publishes its exports: a stack
# deployed through change sets (`serverless deploy`'s default) shows the outputs
# of its first template and exports nothing. Rebuild both after every execution.
_execute_change_set = CloudFormationBackend.execute_change_set


def execute_change_set(self, change_set_name, stack_name=None):
    _execute_change_set(self, change_set_name, stack_name)
    stack = self.stacks[self.describe_change_set(change_set_name).stack_id]
    stack._parse_template()
    stack.output_map = stack._create_output_map()
    # The stack's exports replace those of its previous template; a name another stack exports is refused, as create_stack does.
    for name in [name for name, export in self.exports.items() if export.exporting_stack_id == stack.stack_id]:
        del self.exports[name]
    self._validate_export_uniqueness(stack)
    for export in stack.exports:
        self.exports[export.name] = export


def install():
    CloudFormationBackend.validate_template = validate_template
    CloudFormationBackend.create_change_set = create_change_set
    CloudFormationBackend.execute_change_set = execute_change_set


class _SkippedTypes(logging.Handler):
    """One line per resource type moto's CloudFormation skipped, for the rehearsal to read."""

    def emit(self, record):
        message = record.getMessage()
        if message.startswith(SKIPPED_PREFIX):
            print(f"rehearse:skipped {message[len(SKIPPED_PREFIX):]}", file=sys.stderr, flush=True)


def report_skipped_types():
    # moto.cloudformation.parsing logs it on the "moto" logger.
    logging.getLogger("moto").addHandler(_SkippedTypes(logging.WARNING))


if __name__ == "__main__":
    install()
    report_skipped_types()
    # One line per request is werkzeug's default: keep the rehearsal's log to what matters.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    moto_main(sys.argv[1:])
