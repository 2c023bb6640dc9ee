"""The core layer: parameter base types and shared models, materials, the OpenCascade kernel modules (the only
code that calls OCP), instanced bodies and stacks, part builders, generic process operations, steps, flows and
builds, check results and the claim evaluation. It imports nothing else of pkgcad."""
