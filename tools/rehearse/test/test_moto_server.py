"""The three fixes of tools/rehearse/moto_server.py, each against moto's own CloudFormation.

Each fix has two tests: moto as installed still shows the behaviour (when it
stops, the fix can go), and the fix corrects it. Run by moto-server.test.mjs:
`python3 -m unittest discover -s tools/rehearse/test -p 'test_*.py'`.
"""

import json
import os
import sys
import unittest
from contextlib import contextmanager

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import boto3  # noqa: E402  (moto's own dependency)
from moto import mock_aws  # noqa: E402
from moto.cloudformation.models import CloudFormationBackend  # noqa: E402

import moto_server  # noqa: E402

FIXED = ("validate_template", "create_change_set", "execute_change_set")
ORIGINAL = {name: getattr(CloudFormationBackend, name) for name in FIXED}


@contextmanager
def fixed(on):
    """moto with the wrapper's fixes (on) or as installed (off)."""
    if on:
        moto_server.install()
    try:
        yield
    finally:
        for name, method in ORIGINAL.items():
            setattr(CloudFormationBackend, name, method)


def template(resources, outputs=None):
    body = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}
    if outputs:
        body["Outputs"] = outputs
    return json.dumps(body)


def exporting(topic, export, extra_output=False):
    outputs = {"TopicArn": {"Value": {"Ref": "Topic"}, "Export": {"Name": export}}}
    if extra_output:
        outputs["TopicName"] = {"Value": {"Fn::GetAtt": ["Topic", "TopicName"]}, "Export": {"Name": f"{export}-name"}}
    return template({"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": topic}}}, outputs)


IMPORTING = template(
    {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Fn::Join": ["-", ["from", {"Fn::ImportValue": "bus-name"}]]}}}}
)


def through_change_set(cf, stack, body, kind):
    """What `serverless deploy` does: create a change set, execute it."""
    cf.create_change_set(StackName=stack, ChangeSetName=f"{stack}-{kind.lower()}", TemplateBody=body, ChangeSetType=kind)
    cf.execute_change_set(StackName=stack, ChangeSetName=f"{stack}-{kind.lower()}")


def export_names(cf):
    return sorted(e["Name"] for e in cf.list_exports()["Exports"])


class Fix1ValidateTemplateRejectsOnlyErrors(unittest.TestCase):
    # An unused parameter: cfn-lint W2001, a warning; CloudFormation accepts the template.
    WARNING_ONLY = json.dumps(
        {
            "Parameters": {"Unused": {"Type": "String"}},
            "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        }
    )
    # A property AWS::SNS::Topic does not have: cfn-lint E3002, an error.
    ERROR = json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"NoSuchProperty": 1}}}})

    def validate(self, body):
        with mock_aws():
            return boto3.client("cloudformation", region_name="us-east-1").validate_template(TemplateBody=body)

    def test_moto_as_installed_rejects_a_warning(self):
        with fixed(False), self.assertRaisesRegex(Exception, "W2001|not used"):
            self.validate(self.WARNING_ONLY)

    def test_fixed_accepts_a_warning_and_still_rejects_an_error(self):
        with fixed(True):
            self.assertIn("Parameters", self.validate(self.WARNING_ONLY))
            with self.assertRaisesRegex(Exception, "NoSuchProperty"):
                self.validate(self.ERROR)


class Fix2ChangeSetStacksSeeExports(unittest.TestCase):
    def import_through_change_set(self):
        with mock_aws():
            cf = boto3.client("cloudformation", region_name="us-east-1")
            cf.create_stack(StackName="bus", TemplateBody=exporting("domain-events", "bus", extra_output=True))
            through_change_set(cf, "consumer", IMPORTING, "CREATE")
            return boto3.client("sqs", region_name="us-east-1").get_queue_url(QueueName="from-domain-events")["QueueUrl"]

    def test_moto_as_installed_finds_no_export(self):
        with fixed(False), self.assertRaisesRegex(Exception, "No export named bus-name found"):
            self.import_through_change_set()

    def test_fixed_resolves_the_import(self):
        with fixed(True):
            self.assertTrue(self.import_through_change_set().endswith("/from-domain-events"))


class Fix3OutputsAndExportsAfterAChangeSet(unittest.TestCase):
    def deploy_then_update(self):
        """Like serverless: an empty-ish stack first, then the real template as an update."""
        with mock_aws():
            cf = boto3.client("cloudformation", region_name="us-east-1")
            through_change_set(cf, "bus", exporting("first", "bus-arn"), "CREATE")
            created = (cf.describe_stacks(StackName="bus")["Stacks"][0].get("Outputs", []), export_names(cf))
            through_change_set(cf, "bus", exporting("first", "bus-arn", extra_output=True), "UPDATE")
            updated = (cf.describe_stacks(StackName="bus")["Stacks"][0].get("Outputs", []), export_names(cf))
            return created, updated

    def test_moto_as_installed_keeps_no_outputs_or_exports(self):
        with fixed(False):
            (outputs, exports), (updated_outputs, updated_exports) = self.deploy_then_update()
        self.assertEqual((outputs, exports, updated_outputs, updated_exports), ([], [], [], []))

    def test_fixed_refuses_an_export_name_another_stack_exports(self):
        with fixed(True), mock_aws():
            cf = boto3.client("cloudformation", region_name="us-east-1")
            through_change_set(cf, "bus", exporting("first", "bus-arn"), "CREATE")
            with self.assertRaisesRegex(Exception, "Export names must be unique"):
                through_change_set(cf, "copy", exporting("second", "bus-arn"), "CREATE")
            self.assertEqual(export_names(cf), ["bus-arn"])

    def test_fixed_rebuilds_outputs_and_exports(self):
        with fixed(True):
            (outputs, exports), (updated_outputs, updated_exports) = self.deploy_then_update()
        self.assertEqual([o["OutputKey"] for o in outputs], ["TopicArn"])
        self.assertEqual(exports, ["bus-arn"])
        self.assertEqual(sorted(o["OutputKey"] for o in updated_outputs), ["TopicArn", "TopicName"])
        self.assertEqual(updated_exports, ["bus-arn", "bus-arn-name"])


class SkippedTypesAreReported(unittest.TestCase):
    def test_one_line_per_skipped_resource(self):
        import io
        import logging

        stderr, sys.stderr = sys.stderr, io.StringIO()
        handler = moto_server._SkippedTypes(logging.WARNING)
        logging.getLogger("moto").addHandler(handler)
        try:
            with fixed(True), mock_aws():
                cf = boto3.client("cloudformation", region_name="us-east-1")
                cf.create_stack(
                    StackName="alarms",
                    TemplateBody=template(
                        {"Alarm": {"Type": "AWS::CloudWatch::CompositeAlarm", "Properties": {"AlarmName": "a", "AlarmRule": "TRUE"}}}
                    ),
                )
            out = sys.stderr.getvalue()
        finally:
            logging.getLogger("moto").removeHandler(handler)
            sys.stderr = stderr
        self.assertIn("rehearse:skipped AWS::CloudWatch::CompositeAlarm\n", out)


if __name__ == "__main__":
    unittest.main()
