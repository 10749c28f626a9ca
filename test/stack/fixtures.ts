/** The smallest valid stack.yaml; tests edit it to make one problem at a known line:col. */
export const MINIMAL_STACK_YAML = `name: demo
template: monolith
services:
  - name: app
    routes:
      - name: api
        paths: [/api]
`;
