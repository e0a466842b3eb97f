

def test_the_shipped_field_types_are_the_v1_37_definitions() -> None:
    """schema.json is what tools/gen_sim_schema.py makes from kubernetes-validate's v1.37 OpenAPI."""
    import subprocess
    import sys
    from pathlib import Path

    tool = Path(__file__).resolve().parent.parent / "tools" / "gen_sim_schema.py"
    done = subprocess.run([sys.executable, str(tool), "--check"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
