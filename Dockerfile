# syntax=docker/dockerfile:1
# Node 24 is the current LTS; CI runs the e2e suite on it too (scripts/test-e2e-node24.sh).
# Build stage: compile TypeScript with the dev dependencies, then drop them.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY client ./client
COPY public ./public
RUN npm run build && npm prune --omit=dev

# Runtime stage: only the compiled app and production dependencies, run as the unprivileged user.
FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    PORT=3000
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --from=build --chown=node:node /app/public ./public
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM reaches node directly (exec form), which drains streams before exiting.
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js"]
