"""EC2 key pairs, instance types, images (AMIs) and launch templates through
boto3 and the aws CLI: what a user checks after each call, fingerprints
recomputed independently, and AWS's refusals for bad input."""

from __future__ import annotations

import base64
import hashlib
import json

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa


def error(excinfo) -> tuple[str, str]:
    e = excinfo.value.response["Error"]
    return e["Code"], e["Message"]


@pytest.fixture
def ec2(server):
    return server.client("ec2")


def colon_hex(digest: bytes) -> str:
    return ":".join(f"{b:02x}" for b in digest)


def sha256_fp(openssh_public: bytes) -> str:
    blob = base64.b64decode(openssh_public.split()[1])
    return base64.b64encode(hashlib.sha256(blob).digest()).decode()


# ---------------------------------------------------------------- key pairs


def test_created_rsa_key_is_pkcs1_pem_with_aws_fingerprint(ec2):
    k = ec2.create_key_pair(KeyName="lab", TagSpecifications=[{"ResourceType": "key-pair", "Tags": [{"Key": "env", "Value": "dev"}]}])
    assert k["KeyName"] == "lab" and k["KeyPairId"].startswith("key-") and len(k["KeyPairId"]) == 21
    assert k["KeyMaterial"].startswith("-----BEGIN RSA PRIVATE KEY-----\n")
    assert k["Tags"] == [{"Key": "env", "Value": "dev"}]
    key = serialization.load_pem_private_key(k["KeyMaterial"].encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048
    pkcs8 = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    assert k["KeyFingerprint"] == colon_hex(hashlib.sha1(pkcs8).digest())

    listed = ec2.describe_key_pairs(KeyNames=["lab"], IncludePublicKey=True)["KeyPairs"]
    assert len(listed) == 1
    info = listed[0]
    assert info["KeyType"] == "rsa" and info["KeyFingerprint"] == k["KeyFingerprint"]
    assert info["KeyPairId"] == k["KeyPairId"] and "CreateTime" in info
    own_public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    assert info["PublicKey"].split()[:2] == own_public.decode().split()[:2]
    assert "PublicKey" not in ec2.describe_key_pairs(KeyNames=["lab"])["KeyPairs"][0]

    with pytest.raises(ClientError) as e:
        ec2.create_key_pair(KeyName="lab")
    assert error(e) == ("InvalidKeyPair.Duplicate", "The keypair 'lab' already exists.")


def test_created_ed25519_key_is_openssh_format(ec2):
    k = ec2.create_key_pair(KeyName="edkey", KeyType="ed25519")
    assert k["KeyMaterial"].startswith("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    key = serialization.load_ssh_private_key(k["KeyMaterial"].encode(), password=None)
    assert isinstance(key, ed25519.Ed25519PrivateKey)
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    assert k["KeyFingerprint"] == sha256_fp(public)
    info = ec2.describe_key_pairs(KeyPairIds=[k["KeyPairId"]], IncludePublicKey=True)["KeyPairs"][0]
    assert info["KeyType"] == "ed25519" and info["PublicKey"].split()[:2] == public.decode().split()
    ppk = ec2.create_key_pair(KeyName="putty", KeyFormat="ppk")["KeyMaterial"]
    assert ppk.startswith("PuTTY-User-Key-File-2: ssh-rsa\n") and "Private-MAC: " in ppk


def test_imported_keys_and_their_fingerprints(ec2):
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_pub = rsa_key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    r = ec2.import_key_pair(KeyName="mine", PublicKeyMaterial=rsa_pub + b" me@laptop\n")
    der = rsa_key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert r["KeyFingerprint"] == colon_hex(hashlib.md5(der).digest())
    assert r["KeyPairId"].startswith("key-")

    ed_key = ed25519.Ed25519PrivateKey.generate()
    ed_pub = ed_key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    r2 = ec2.import_key_pair(KeyName="mine-ed", PublicKeyMaterial=ed_pub)
    assert r2["KeyFingerprint"] == sha256_fp(ed_pub)

    for bad in (b"hello", b"ssh-rsa AAAA", b"-----BEGIN PUBLIC KEY-----\nxx\n"):
        with pytest.raises(ClientError) as e:
            ec2.import_key_pair(KeyName="bad", PublicKeyMaterial=bad)
        assert error(e) == ("InvalidKey.Format", "Key is not in valid OpenSSH public key format")
    with pytest.raises(ClientError) as e:
        ec2.import_key_pair(KeyName="mine", PublicKeyMaterial=ed_pub)
    assert error(e)[0] == "InvalidKeyPair.Duplicate"

    by_type = ec2.describe_key_pairs(Filters=[{"Name": "key-type", "Values": ["ed25519"]}])["KeyPairs"]
    assert [k["KeyName"] for k in by_type] == ["mine-ed"]
    by_fp = ec2.describe_key_pairs(Filters=[{"Name": "fingerprint", "Values": [r["KeyFingerprint"]]}])["KeyPairs"]
    assert [k["KeyName"] for k in by_fp] == ["mine"]
    by_name = ec2.describe_key_pairs(Filters=[{"Name": "key-name", "Values": ["mine*"]}])["KeyPairs"]
    assert sorted(k["KeyName"] for k in by_name) == ["mine", "mine-ed"]


def test_key_pair_errors_and_idempotent_delete(ec2):
    with pytest.raises(ClientError) as e:
        ec2.describe_key_pairs(KeyNames=["nope"])
    assert error(e) == ("InvalidKeyPair.NotFound", "The key pair 'nope' does not exist")
    with pytest.raises(ClientError) as e:
        ec2.create_key_pair(KeyName="x" * 256)
    assert error(e)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        ec2.create_key_pair(KeyName="k", KeyType="dsa")
    assert error(e)[0] == "InvalidParameterValue"

    k = ec2.create_key_pair(KeyName="gone", KeyType="ed25519")
    ec2.create_tags(Resources=[k["KeyPairId"]], Tags=[{"Key": "team", "Value": "a"}])
    tagged = ec2.describe_key_pairs(Filters=[{"Name": "tag:team", "Values": ["a"]}])["KeyPairs"]
    assert [t["KeyPairId"] for t in tagged] == [k["KeyPairId"]]
    d = ec2.delete_key_pair(KeyPairId=k["KeyPairId"])
    assert d["Return"] is True and d["KeyPairId"] == k["KeyPairId"]
    assert ec2.describe_key_pairs()["KeyPairs"] == []
    # Deleting again, by name or id, still answers true.
    assert ec2.delete_key_pair(KeyName="gone")["Return"] is True
    assert ec2.delete_key_pair(KeyPairId=k["KeyPairId"])["Return"] is True
    with pytest.raises(ClientError) as e:
        ec2.describe_key_pairs(KeyPairIds=[k["KeyPairId"]])
    assert error(e)[0] == "InvalidKeyPair.NotFound"


def test_key_pairs_cli(aws):
    material = aws("ec2", "create-key-pair", "--key-name", "lab", "--query", "KeyMaterial")
    assert material.startswith("-----BEGIN RSA PRIVATE KEY-----") and material.rstrip().endswith("-----END RSA PRIVATE KEY-----")
    names = aws("ec2", "describe-key-pairs", "--query", "KeyPairs[].KeyName")
    assert names == ["lab"]
    aws("ec2", "delete-key-pair", "--key-name", "lab")
    assert aws("ec2", "describe-key-pairs")["KeyPairs"] == []


def test_key_pairs_survive_a_restart(server_factory):
    srv = server_factory()
    k = srv.client("ec2").create_key_pair(KeyName="keep", KeyType="ed25519")
    srv.restart()
    info = srv.client("ec2").describe_key_pairs(KeyNames=["keep"])["KeyPairs"][0]
    assert info["KeyFingerprint"] == k["KeyFingerprint"]


# ----------------------------------------------------------- instance types


def test_instance_types_have_real_figures(ec2):
    types = ec2.describe_instance_types(InstanceTypes=["t3.micro", "m7g.large", "t2.micro"])["InstanceTypes"]
    by = {t["InstanceType"]: t for t in types}
    assert set(by) == {"t3.micro", "m7g.large", "t2.micro"}
    t3 = by["t3.micro"]
    assert t3["VCpuInfo"]["DefaultVCpus"] == 2 and t3["MemoryInfo"]["SizeInMiB"] == 1024
    assert t3["FreeTierEligible"] is True and t3["BurstablePerformanceSupported"] is True
    assert t3["ProcessorInfo"]["SupportedArchitectures"] == ["x86_64"] and t3["Hypervisor"] == "nitro"
    assert t3["NetworkInfo"]["NetworkPerformance"] == "Up to 5 Gigabit"
    assert t3["EbsInfo"]["EbsOptimizedInfo"]["MaximumBandwidthInMbps"] == 2085
    assert by["m7g.large"]["ProcessorInfo"]["SupportedArchitectures"] == ["arm64"]
    assert by["m7g.large"]["MemoryInfo"]["SizeInMiB"] == 8192
    assert by["t2.micro"]["Hypervisor"] == "xen"

    with pytest.raises(ClientError) as e:
        ec2.describe_instance_types(InstanceTypes=["t3.micro", "u-12tb1.112xlarge"])
    assert error(e) == ("InvalidInstanceType", "The following supplied instance types do not exist: [u-12tb1.112xlarge]")


def test_instance_type_filters_and_pages(ec2):
    def names(filters):
        return sorted(t["InstanceType"] for t in ec2.describe_instance_types(Filters=filters)["InstanceTypes"])

    assert names([{"Name": "free-tier-eligible", "Values": ["true"]}]) == ["t2.micro", "t3.micro"]
    arm2 = names([{"Name": "processor-info.supported-architecture", "Values": ["arm64"]}, {"Name": "vcpu-info.default-vcpus", "Values": ["2"]}, {"Name": "memory-info.size-in-mib", "Values": ["4096"]}])
    assert arm2 == ["c7g.large", "t4g.medium"]
    assert "m5.large" in names([{"Name": "instance-type", "Values": ["m5.*"]}, {"Name": "burstable-performance-supported", "Values": ["false"]}])
    assert names([{"Name": "current-generation", "Values": ["false"]}]) == []
    with pytest.raises(ClientError) as e:
        ec2.describe_instance_types(Filters=[{"Name": "colour", "Values": ["red"]}])
    assert error(e)[0] == "InvalidParameterValue"

    seen, token = [], None
    while True:
        kw = {"MaxResults": 20, **({"NextToken": token} if token else {})}
        page = ec2.describe_instance_types(**kw)
        assert len(page["InstanceTypes"]) <= 20
        seen += [t["InstanceType"] for t in page["InstanceTypes"]]
        token = page.get("NextToken")
        if not token:
            break
    assert len(seen) == len(set(seen)) >= 70
    with pytest.raises(ClientError) as e:
        ec2.describe_instance_types(MaxResults=500)
    assert error(e)[0] == "InvalidParameterValue"


def test_instance_type_offerings(ec2):
    region = ec2.describe_instance_type_offerings(Filters=[{"Name": "instance-type", "Values": ["t3.micro"]}])["InstanceTypeOfferings"]
    assert region == [{"InstanceType": "t3.micro", "LocationType": "region", "Location": "us-east-1"}]
    zones = ec2.describe_instance_type_offerings(LocationType="availability-zone", Filters=[{"Name": "instance-type", "Values": ["t3.micro"]}, {"Name": "location", "Values": ["us-east-1a", "us-east-1b"]}])["InstanceTypeOfferings"]
    assert sorted(o["Location"] for o in zones) == ["us-east-1a", "us-east-1b"]
    ids = ec2.describe_instance_type_offerings(LocationType="availability-zone-id", Filters=[{"Name": "instance-type", "Values": ["c6i.large"]}])["InstanceTypeOfferings"]
    assert {o["Location"] for o in ids} >= {"use1-az1", "use1-az2"}
