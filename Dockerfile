# The demo app: builds and runs `npm run demo` (see docker-compose.yml).
FROM node:24-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# Only what the build needs, so a host's node_modules, dist or .env never reach the image.
COPY nest-cli.json tsconfig.json ./
COPY libs ./libs
COPY apps ./apps
ENV PORT=3000
EXPOSE 3000
CMD ["npm", "run", "demo"]
