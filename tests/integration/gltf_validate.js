// Validates a .glb with the Khronos glTF validator (npm gltf-validator, installed by
// scripts/setup-test-tools.sh) and prints its report's issue counts as JSON.
// usage: node gltf_validate.js VALIDATOR_DIR FILE.glb
const validator = require(process.argv[2]);
const fs = require('fs');
const bytes = new Uint8Array(fs.readFileSync(process.argv[3]));
validator.validateBytes(bytes, {maxIssues: 100})
    .then((report) => {
      console.log(JSON.stringify({
        numErrors: report.issues.numErrors,
        numWarnings: report.issues.numWarnings,
        messages: report.issues.messages.map((m) => m.severity + ' ' + m.code + ' ' + m.pointer + ' ' + m.message),
      }));
    })
    .catch((error) => {
      console.log(JSON.stringify({numErrors: -1, messages: [String(error)]}));
      process.exit(1);
    });
