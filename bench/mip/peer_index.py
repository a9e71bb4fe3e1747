"""The seed's index assembly: list the .mhl.mip.json keys with boto3, then get them one at a time."""
import json
import sys

import boto3

bucket, prefix, out = sys.argv[1], sys.argv[2], sys.argv[3]
s3 = boto3.client("s3")
keys = []
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
    keys += [o["Key"] for o in page.get("Contents", []) if o["Key"].endswith(".mhl.mip.json")]
packages = [json.loads(s3.get_object(Bucket=bucket, Key=k)["Body"].read()) for k in sorted(keys)]
with open(out, "w") as f:
    json.dump({"packages": packages, "total_packages": len(packages)}, f, indent=2)
print(len(packages))
