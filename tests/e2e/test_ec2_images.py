"""EC2 key pairs, instance types, images (AMIs) and launch templates through
boto3 and the aws CLI: what a user checks after each call, fingerprints
recomputed independently, and AWS's refusals for bad input."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess

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


def aws_text(server, *args) -> str:
    """The aws CLI as a user types it, with text output."""
    from conftest import AWS_BIN

    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_CONFIG_FILE=os.devnull,
               AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true", AWS_PAGER="",
               AWS_MAX_ATTEMPTS="1", AWS_DEFAULT_REGION="us-east-1")
    proc = subprocess.run([str(AWS_BIN), *args, "--endpoint-url", server.url], env=env, capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_key_pairs_cli(aws, server, tmp_path):
    pem = aws_text(server, "ec2", "create-key-pair", "--key-name", "lab", "--query", "KeyMaterial", "--output", "text")
    assert pem.startswith("-----BEGIN RSA PRIVATE KEY-----") and pem.rstrip().endswith("-----END RSA PRIVATE KEY-----")
    key_file = tmp_path / "lab.pem"
    key_file.write_text(pem)
    key_file.chmod(0o600)
    names = aws("ec2", "describe-key-pairs", "--query", "KeyPairs[].KeyName")
    assert names == ["lab"]
    public = aws("ec2", "describe-key-pairs", "--key-names", "lab", "--include-public-key", "--query", "KeyPairs[0].PublicKey")
    derived = subprocess.run(["ssh-keygen", "-y", "-f", str(key_file)], capture_output=True, text=True, check=True).stdout
    assert derived.split()[:2] == public.split()[:2]

    ed = aws_text(server, "ec2", "create-key-pair", "--key-name", "lab-ed", "--key-type", "ed25519", "--query", "KeyMaterial", "--output", "text")
    ed_file = tmp_path / "lab-ed.pem"
    ed_file.write_text(ed)
    ed_file.chmod(0o600)
    fingerprint = aws("ec2", "describe-key-pairs", "--key-names", "lab-ed", "--query", "KeyPairs[0].KeyFingerprint")
    listed = subprocess.run(["ssh-keygen", "-l", "-f", str(ed_file)], capture_output=True, text=True, check=True).stdout
    assert listed.split()[1] == "SHA256:" + fingerprint.rstrip("=")

    aws("ec2", "delete-key-pair", "--key-name", "lab")
    aws("ec2", "delete-key-pair", "--key-name", "lab-ed")
    assert aws("ec2", "describe-key-pairs")["KeyPairs"] == []


def test_ppk_keys_open_in_puttygen(ec2, tmp_path):
    for kind in ("rsa", "ed25519"):
        k = ec2.create_key_pair(KeyName=f"putty-{kind}", KeyType=kind, KeyFormat="ppk")
        f = tmp_path / f"{kind}.ppk"
        f.write_text(k["KeyMaterial"])
        out = subprocess.run(["puttygen", str(f), "-O", "public-openssh"], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        public = ec2.describe_key_pairs(KeyNames=[f"putty-{kind}"], IncludePublicKey=True)["KeyPairs"][0]["PublicKey"]
        assert out.stdout.split()[:2] == public.split()[:2]


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


# ------------------------------------------------------------------- images

AL2023_X86 = "al2023-ami-2023.6.20241121.0-kernel-6.1-x86_64"


def ec2_in(server, region):
    return boto3.session.Session().client(
        "ec2", endpoint_url=server.url, region_name=region, aws_access_key_id="test",
        aws_secret_access_key="test", config=Config(retries={"total_max_attempts": 1}),
    )


def find_image(ec2, name, owners=("amazon",)):
    imgs = ec2.describe_images(Owners=list(owners), Filters=[{"Name": "name", "Values": [name]}])["Images"]
    assert len(imgs) == 1, imgs
    return imgs[0]


def test_public_catalogue(ec2, server):
    al = find_image(ec2, "al2023-ami-2023.6.*-kernel-6.1-x86_64")
    assert al["Name"] == AL2023_X86 and al["OwnerId"] == "137112412989" and al["ImageOwnerAlias"] == "amazon"
    assert al["ImageId"].startswith("ami-") and len(al["ImageId"]) == 21
    assert al["State"] == "available" and al["Public"] is True and al["Architecture"] == "x86_64"
    assert al["RootDeviceName"] == "/dev/xvda" and al["RootDeviceType"] == "ebs" and al["EnaSupport"] is True
    assert al["BlockDeviceMappings"][0]["Ebs"]["VolumeSize"] == 8
    assert al["PlatformDetails"] == "Linux/UNIX"
    arm = find_image(ec2, "al2023-ami-2023.6.*-kernel-6.1-arm64")
    assert arm["Architecture"] == "arm64" and arm["ImageId"] != al["ImageId"]

    ubuntu = ec2.describe_images(Owners=["099720109477"], Filters=[{"Name": "name", "Values": ["ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*"]}])["Images"]
    assert [u["Name"] for u in ubuntu] == ["ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20241119"]
    assert "ImageOwnerAlias" not in ubuntu[0]
    debian = ec2.describe_images(Owners=["136693071363"], Filters=[{"Name": "architecture", "Values": ["x86_64"]}])["Images"]
    assert [d["Name"] for d in debian] == ["debian-12-amd64-20241125-1942"]
    win = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "platform", "Values": ["windows"]}])["Images"]
    assert win[0]["Name"].startswith("Windows_Server-2022-English-Full-Base-") and win[0]["Platform"] == "windows"
    assert win[0]["OwnerId"] == "801119661308" and win[0]["PlatformDetails"] == "Windows"

    # Ids are stable in a region and differ between regions.
    again = find_image(ec2, AL2023_X86)
    assert again["ImageId"] == al["ImageId"]
    other = find_image(ec2_in(server, "eu-west-1"), AL2023_X86)
    assert other["ImageId"] != al["ImageId"]
    assert ec2.describe_images(ImageIds=[al["ImageId"]])["Images"][0]["Name"] == AL2023_X86

    with pytest.raises(ClientError) as e:
        ec2.describe_images(ImageIds=["ami-0000000000000000f"])
    assert error(e) == ("InvalidAMIID.NotFound", "The image id '[ami-0000000000000000f]' does not exist")
    with pytest.raises(ClientError) as e:
        ec2.describe_images(ImageIds=["image-1"])
    assert error(e)[0] == "InvalidAMIID.Malformed"
    # Nothing is owned yet.
    assert ec2.describe_images(Owners=["self"])["Images"] == []


def test_register_describe_deregister(ec2):
    snap = "snap-0123456789abcdef0"
    image_id = ec2.register_image(
        Name="web-server v1", Description="my web server", Architecture="x86_64", RootDeviceName="/dev/xvda",
        VirtualizationType="hvm", EnaSupport=True,
        BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": snap, "VolumeSize": 10, "VolumeType": "gp3"}}],
        TagSpecifications=[{"ResourceType": "image", "Tags": [{"Key": "app", "Value": "web"}]}],
    )["ImageId"]
    img = ec2.describe_images(ImageIds=[image_id])["Images"][0]
    assert img["State"] == "available" and img["OwnerId"] == "000000000000" and img["Public"] is False
    assert img["BlockDeviceMappings"] == [{"DeviceName": "/dev/xvda", "Ebs": {"DeleteOnTermination": True, "SnapshotId": snap, "VolumeSize": 10, "VolumeType": "gp3", "Encrypted": False}}]
    assert img["Tags"] == [{"Key": "app", "Value": "web"}] and img["EnaSupport"] is True
    mine = ec2.describe_images(Owners=["self"])["Images"]
    assert [m["ImageId"] for m in mine] == [image_id]
    by_snap = ec2.describe_images(Filters=[{"Name": "block-device-mapping.snapshot-id", "Values": [snap]}])["Images"]
    assert [m["ImageId"] for m in by_snap] == [image_id]
    assert ec2.describe_images(Owners=["self"], Filters=[{"Name": "tag:app", "Values": ["web"]}])["Images"][0]["ImageId"] == image_id
    assert ec2.describe_images(Owners=["self"], Filters=[{"Name": "is-public", "Values": ["true"]}])["Images"] == []

    with pytest.raises(ClientError) as e:
        ec2.register_image(Name="web-server v1", RootDeviceName="/dev/xvda", BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": snap}}])
    assert error(e) == ("InvalidAMIName.Duplicate", f"AMI name web-server v1 is already in use by AMI {image_id}")
    with pytest.raises(ClientError) as e:
        ec2.register_image(Name="bad*name", RootDeviceName="/dev/xvda", BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": snap}}])
    assert error(e)[0] == "InvalidAMIName.Malformed"

    al = find_image(ec2, AL2023_X86)["ImageId"]
    with pytest.raises(ClientError) as e:
        ec2.deregister_image(ImageId=al)
    assert error(e)[0] == "AuthFailure"
    assert ec2.deregister_image(ImageId=image_id)["Return"] is True
    assert ec2.describe_images(Owners=["self"])["Images"] == []
    with pytest.raises(ClientError) as e:
        ec2.deregister_image(ImageId=image_id)
    assert error(e) == ("InvalidAMIID.NotFound", f"The image id '[{image_id}]' does not exist")
    with pytest.raises(ClientError) as e:
        ec2.deregister_image(ImageId="nope")
    assert error(e)[0] == "InvalidAMIID.Malformed"


def test_copy_image_pending_then_available(server, ec2):
    al = find_image(ec2, AL2023_X86)["ImageId"]
    copied = ec2.copy_image(Name="my-al2023", SourceImageId=al, SourceRegion="us-east-1")["ImageId"]
    assert copied != al
    img = ec2.describe_images(ImageIds=[copied])["Images"][0]
    assert img["State"] == "pending" and img["OwnerId"] == "000000000000" and img["Public"] is False
    assert img["Description"] == f"[Copied {al} from us-east-1] {AL2023_X86}"
    assert img["SourceImageId"] == al and img["SourceImageRegion"] == "us-east-1"
    server.advance(3)
    assert ec2.describe_images(ImageIds=[copied])["Images"][0]["State"] == "available"

    # Into another region of the same account.
    west = ec2_in(server, "us-west-2")
    in_west = west.copy_image(Name="my-al2023", SourceImageId=copied, SourceRegion="us-east-1", Description="copy")["ImageId"]
    w = west.describe_images(Owners=["self"])["Images"]
    assert [x["ImageId"] for x in w] == [in_west] and w[0]["Description"] == "copy"
    with pytest.raises(ClientError) as e:
        west.copy_image(Name="again", SourceImageId="ami-0000000000000000f", SourceRegion="us-east-1")
    assert error(e)[0] == "InvalidAMIID.NotFound"


def test_launch_permissions_share_images(server, ec2):
    snap = "snap-0123456789abcdef0"
    image_id = ec2.register_image(Name="shared-image", RootDeviceName="/dev/xvda", VirtualizationType="hvm",
                                  BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": snap}}])["ImageId"]
    other = server.client("ec2", creds=("111111111111", "secret"))
    assert other.describe_images(Filters=[{"Name": "image-id", "Values": [image_id]}])["Images"] == []
    with pytest.raises(ClientError) as e:
        other.describe_images(ImageIds=[image_id])
    assert error(e)[0] == "InvalidAMIID.NotFound"

    ec2.modify_image_attribute(ImageId=image_id, LaunchPermission={"Add": [{"UserId": "111111111111"}]})
    perms = ec2.describe_image_attribute(ImageId=image_id, Attribute="launchPermission")["LaunchPermissions"]
    assert perms == [{"UserId": "111111111111"}]
    seen = other.describe_images(ImageIds=[image_id])["Images"][0]
    assert seen["OwnerId"] == "000000000000" and "Tags" not in seen
    assert [i["ImageId"] for i in other.describe_images(ExecutableUsers=["self"])["Images"]] == [image_id]
    third = server.client("ec2", creds=("222222222222", "secret"))
    assert third.describe_images(Owners=["000000000000"])["Images"] == []

    ec2.modify_image_attribute(ImageId=image_id, Attribute="launchPermission", OperationType="add", UserGroups=["all"])
    assert ec2.describe_images(ImageIds=[image_id])["Images"][0]["Public"] is True
    assert [i["ImageId"] for i in third.describe_images(Owners=["000000000000"])["Images"]] == [image_id]
    with pytest.raises(ClientError) as e:
        third.modify_image_attribute(ImageId=image_id, Description={"Value": "mine now"})
    assert error(e)[0] == "AuthFailure"
    with pytest.raises(ClientError) as e:
        ec2.modify_image_attribute(ImageId=image_id, LaunchPermission={"Add": [{"UserId": "bob"}]})
    assert error(e)[0] == "InvalidAMIAttributeItemValue"

    ec2.modify_image_attribute(ImageId=image_id, Description={"Value": "new words"})
    assert ec2.describe_image_attribute(ImageId=image_id, Attribute="description")["Description"] == {"Value": "new words"}
    ec2.reset_image_attribute(ImageId=image_id, Attribute="launchPermission")
    assert ec2.describe_image_attribute(ImageId=image_id, Attribute="launchPermission")["LaunchPermissions"] == []
    assert third.describe_images(Owners=["000000000000"])["Images"] == []
    assert other.describe_images(Owners=["000000000000"])["Images"] == []


def test_user_catalogue_file(server_factory, tmp_path):
    f = tmp_path / "images.json"
    f.write_text(json.dumps([{"id": "ami-0abcdef1234567890", "name": "golden-rocky-9", "owner": "123456789012",
                              "architecture": "x86_64", "root_device_name": "/dev/sda1", "description": "Rocky 9 golden image"}]))
    srv = server_factory(args=["--ec2-images", str(f)])
    ec2 = srv.client("ec2")
    img = ec2.describe_images(ImageIds=["ami-0abcdef1234567890"])["Images"][0]
    assert img["Name"] == "golden-rocky-9" and img["OwnerId"] == "123456789012" and img["RootDeviceName"] == "/dev/sda1"
    assert ec2.describe_images(Owners=["123456789012"])["Images"][0]["Description"] == "Rocky 9 golden image"
    # The built-in catalogue is still there.
    assert find_image(ec2, AL2023_X86)["OwnerId"] == "137112412989"

    bad = tmp_path / "bad.json"
    bad.write_text('[{"name": "x", "owner": "nobody"}]')
    broken = server_factory(args=["--ec2-images", str(bad)], start=False)
    proc = subprocess.run(broken.command(), capture_output=True, text=True, timeout=20)
    assert proc.returncode != 0
    assert "--ec2-images" in proc.stderr and "owner must be a 12-digit account id" in proc.stderr


def test_images_cli(aws):
    out = aws("ec2", "describe-images", "--owners", "amazon", "--filters", "Name=name,Values=al2023-ami-2023.*-x86_64",
              "--query", "Images[0].ImageId")
    assert out.startswith("ami-")
    names = aws("ec2", "describe-images", "--owners", "099720109477", "--filters",
                "Name=name,Values=ubuntu/images/hvm-ssd*/ubuntu-*-24.04-amd64-server-*", "--query", "Images[].Name")
    assert names == ["ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20241119"]


def test_own_images_survive_a_restart(server_factory):
    srv = server_factory()
    ec2 = srv.client("ec2")
    al = find_image(ec2, AL2023_X86)["ImageId"]
    image_id = ec2.register_image(Name="keep-me", RootDeviceName="/dev/xvda",
                                  BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": "snap-0123456789abcdef0"}}])["ImageId"]
    ec2.modify_image_attribute(ImageId=image_id, LaunchPermission={"Add": [{"Group": "all"}]})
    srv.restart()
    ec2 = srv.client("ec2")
    assert find_image(ec2, AL2023_X86)["ImageId"] == al
    other = srv.client("ec2", creds=("111111111111", "secret"))
    assert other.describe_images(ImageIds=[image_id])["Images"][0]["Name"] == "keep-me"


# --------------------------------------------------------- launch templates


def test_launch_templates_and_versions(ec2):
    al = find_image(ec2, AL2023_X86)["ImageId"]
    lt = ec2.create_launch_template(
        LaunchTemplateName="web", VersionDescription="first",
        LaunchTemplateData={"ImageId": al, "InstanceType": "t3.micro", "KeyName": "lab",
                            "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web"}]}]},
        TagSpecifications=[{"ResourceType": "launch-template", "Tags": [{"Key": "team", "Value": "a"}]}],
    )["LaunchTemplate"]
    assert lt["LaunchTemplateId"].startswith("lt-") and lt["DefaultVersionNumber"] == 1 and lt["LatestVersionNumber"] == 1
    assert lt["Tags"] == [{"Key": "team", "Value": "a"}] and lt["CreatedBy"].startswith("arn:aws:iam::000000000000:")
    with pytest.raises(ClientError) as e:
        ec2.create_launch_template(LaunchTemplateName="web", LaunchTemplateData={"InstanceType": "t3.micro"})
    assert error(e) == ("InvalidLaunchTemplateName.AlreadyExistsException", "Launch template name already in use.")
    with pytest.raises(ClientError) as e:
        ec2.create_launch_template(LaunchTemplateName="no spaces", LaunchTemplateData={"InstanceType": "t3.micro"})
    assert error(e)[0] == "InvalidLaunchTemplateName.MalformedException"
    with pytest.raises(ClientError) as e:
        ec2.create_launch_template(LaunchTemplateName="empty", LaunchTemplateData={})
    # Request validation refuses the missing required member (AWS words it as MissingParameter).
    assert error(e)[0] == "InvalidParameterValue" and "launchTemplateData" in error(e)[1]

    v2 = ec2.create_launch_template_version(LaunchTemplateName="web", SourceVersion="1", VersionDescription="bigger",
                                            LaunchTemplateData={"InstanceType": "t3.small"})["LaunchTemplateVersion"]
    assert v2["VersionNumber"] == 2 and v2["DefaultVersion"] is False
    assert v2["LaunchTemplateData"]["InstanceType"] == "t3.small" and v2["LaunchTemplateData"]["ImageId"] == al
    assert v2["LaunchTemplateData"]["KeyName"] == "lab"
    v3 = ec2.create_launch_template_version(LaunchTemplateId=lt["LaunchTemplateId"], LaunchTemplateData={"InstanceType": "m5.large"})["LaunchTemplateVersion"]
    assert v3["VersionNumber"] == 3 and "ImageId" not in v3["LaunchTemplateData"]
    with pytest.raises(ClientError) as e:
        ec2.create_launch_template_version(LaunchTemplateName="web", SourceVersion="9", LaunchTemplateData={"InstanceType": "t3.nano"})
    assert error(e)[0] == "InvalidLaunchTemplateId.VersionNotFound"

    def versions(**kw):
        return [v["VersionNumber"] for v in ec2.describe_launch_template_versions(LaunchTemplateName="web", **kw)["LaunchTemplateVersions"]]

    assert versions() == [3, 2, 1]
    assert versions(Versions=["$Latest"]) == [3]
    assert versions(Versions=["$Default"]) == [1]
    assert versions(MinVersion="2") == [3, 2]
    assert versions(MaxVersion="2") == [2, 1]
    assert versions(Filters=[{"Name": "instance-type", "Values": ["t3.*"]}]) == [2, 1]
    with pytest.raises(ClientError) as e:
        versions(Versions=["7"])
    assert error(e)[0] == "InvalidLaunchTemplateId.VersionNotFound"

    m = ec2.modify_launch_template(LaunchTemplateName="web", DefaultVersion="2")["LaunchTemplate"]
    assert m["DefaultVersionNumber"] == 2 and m["LatestVersionNumber"] == 3
    with pytest.raises(ClientError) as e:
        ec2.modify_launch_template(LaunchTemplateName="web", DefaultVersion="8")
    assert error(e)[0] == "InvalidLaunchTemplateId.VersionNotFound"
    default = ec2.describe_launch_template_versions(LaunchTemplateId=lt["LaunchTemplateId"], Versions=["$Default"])["LaunchTemplateVersions"][0]
    assert default["VersionNumber"] == 2 and default["DefaultVersion"] is True and default["VersionDescription"] == "bigger"

    d = ec2.delete_launch_template_versions(LaunchTemplateName="web", Versions=["1", "2", "42"])
    assert [x["VersionNumber"] for x in d["SuccessfullyDeletedLaunchTemplateVersions"]] == [1]
    failed = {x["VersionNumber"]: x["ResponseError"]["Code"] for x in d["UnsuccessfullyDeletedLaunchTemplateVersions"]}
    assert failed == {2: "launchTemplateVersionIsDefault", 42: "launchTemplateVersionDoesNotExist"}
    assert versions() == [3, 2]

    listed = ec2.describe_launch_templates(Filters=[{"Name": "tag:team", "Values": ["a"]}])["LaunchTemplates"]
    assert [t["LaunchTemplateName"] for t in listed] == ["web"]
    with pytest.raises(ClientError) as e:
        ec2.describe_launch_templates(LaunchTemplateNames=["nope"])
    assert error(e) == ("InvalidLaunchTemplateName.NotFoundException", "At least one of the launch templates specified in the request does not exist.")
    with pytest.raises(ClientError) as e:
        ec2.describe_launch_templates(LaunchTemplateIds=["lt-0123456789abcdef0"])
    assert error(e)[0] == "InvalidLaunchTemplateId.NotFound"
    with pytest.raises(ClientError) as e:
        ec2.describe_launch_templates(LaunchTemplateIds=["web"])
    assert error(e)[0] == "InvalidLaunchTemplateId.Malformed"

    gone = ec2.delete_launch_template(LaunchTemplateId=lt["LaunchTemplateId"])["LaunchTemplate"]
    assert gone["LaunchTemplateName"] == "web"
    assert ec2.describe_launch_templates()["LaunchTemplates"] == []
    with pytest.raises(ClientError) as e:
        ec2.delete_launch_template(LaunchTemplateName="web")
    assert error(e)[0] == "InvalidLaunchTemplateName.NotFoundException"


def test_launch_template_data_keeps_nested_members(ec2):
    data = {
        "InstanceType": "t3.micro",
        "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 20, "VolumeType": "gp3", "DeleteOnTermination": True}}],
        "NetworkInterfaces": [{"DeviceIndex": 0, "AssociatePublicIpAddress": True, "Groups": ["sg-0123456789abcdef0"]}],
        "MetadataOptions": {"HttpTokens": "required", "HttpPutResponseHopLimit": 2},
        "UserData": base64.b64encode(b"#!/bin/bash\necho hi\n").decode(),
        "IamInstanceProfile": {"Name": "web-role"},
        "Monitoring": {"Enabled": True},
    }
    ec2.create_launch_template(LaunchTemplateName="full", LaunchTemplateData=data)
    got = ec2.describe_launch_template_versions(LaunchTemplateName="full")["LaunchTemplateVersions"][0]["LaunchTemplateData"]
    assert got["BlockDeviceMappings"] == data["BlockDeviceMappings"]
    assert got["NetworkInterfaces"][0]["Groups"] == ["sg-0123456789abcdef0"] and got["NetworkInterfaces"][0]["AssociatePublicIpAddress"] is True
    assert got["MetadataOptions"]["HttpTokens"] == "required" and got["MetadataOptions"]["HttpPutResponseHopLimit"] == 2
    assert got["UserData"] == data["UserData"] and got["IamInstanceProfile"] == {"Name": "web-role"}
    assert got["Monitoring"] == {"Enabled": True}


def test_launch_templates_cli_and_restart(server_factory):
    from conftest import run_aws

    srv = server_factory()
    out = run_aws(srv, "ec2", "create-launch-template", "--launch-template-name", "cli-lt",
                  "--launch-template-data", json.dumps({"InstanceType": "t3.micro"}))
    lt_id = out["LaunchTemplate"]["LaunchTemplateId"]
    srv.restart()
    v = run_aws(srv, "ec2", "describe-launch-template-versions", "--launch-template-id", lt_id, "--versions", "$Latest")
    assert v["LaunchTemplateVersions"][0]["LaunchTemplateData"] == {"InstanceType": "t3.micro"}
