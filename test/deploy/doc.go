// Package deploy tests the deployment artefacts: the code packages that
// `make build` writes (reproducible zips with an executable main), the
// Serverless Devs s.yaml (edition 3.0.0, component fc3), the environment
// variable table of docs/deploy.md, and the Terraform under infra/terraform.
// It reads the repository; it contacts no cloud.
package deploy
